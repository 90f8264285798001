"""How sensitive values look when they are not revealed."""


def mask_identifier(last_chars: str, total_length: int = 18) -> str:
    """`************1234`: only the last characters show."""
    shown = last_chars or ""
    return "*" * max(total_length - len(shown), 4) + shown


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
