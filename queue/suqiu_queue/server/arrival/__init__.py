"""arrival area: the officer's arrival card (到访卡片) and the small case actions the front desk needs."""
