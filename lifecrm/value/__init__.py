"""Customer value: the actuarial projection (lifelib's basiclife, vectorised), and later customer value, tiers and entitlements."""
