"""JC-STAR reference bench: an emulated embedded Linux device with known, switchable behaviour."""
