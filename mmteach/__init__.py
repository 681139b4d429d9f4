"""mmteach — reference implementations for the deep-learning-for-music-audio course.

One module per lesson topic (like libfmp's one module per chapter); lessons import what they use::

    from mmteach import quick_mode, pick, device
    from mmteach import supervised          # lesson 01
"""
from .core import cache_dir, device, pick, progress, quick_mode, seed_everything

__version__ = "0.1.0"

__all__ = ["cache_dir", "device", "pick", "progress", "quick_mode", "seed_everything", "__version__"]
