"""The lectures' texts, shared by the chapters that train on them (04 long sequences, 05 stacking)."""

# Chapter 04 opens with this short sequence (note the leading space).
IF_YOU_WANT = " if you want you"

# The long sentence of the lectures (Antoine de Saint-Exupéry), cut into sliding windows of
# ``WINDOW`` characters in chapters 04 and 05.
SHIP = ("if you want to build a ship, don't drum up people together to collect wood and don't "
        "assign them tasks and work, but rather teach them to long for the endless immensity of the sea.")
WINDOW = 10
