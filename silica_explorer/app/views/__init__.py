"""The four tabs of the app; each view class has ``.panel`` (what the tab shows) and a ``title``."""
