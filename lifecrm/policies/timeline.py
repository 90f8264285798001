"""The policies app's timeline source: policy events of a customer's policies."""
