"""网上商城 commands: catalogue and offers, cart and orders, the supplier side, settlement."""
