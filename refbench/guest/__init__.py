"""Files that run inside the emulated device (copied into the firmware image).

They use only the Python standard library, because the guest ships a trimmed CPython without
site-packages; :mod:`refbench.guest.fwformat` is also imported on the host side.
"""
