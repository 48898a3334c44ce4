"""Container images: pinned official images, and local equivalents built without a registry."""

from chaoskit.images.build import build_images
from chaoskit.images.catalogue import IMAGES, ImageSpec, resolve_images

__all__ = ["IMAGES", "ImageSpec", "build_images", "resolve_images"]
