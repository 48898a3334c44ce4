"""Container images: pinned official images, and local equivalents built without a registry."""

from chaoskit.images.build import build_images
from chaoskit.images.catalogue import IMAGES, ImageSpec, built_image, resolve_images
from chaoskit.images.contexts import build_service_images

__all__ = ["IMAGES", "ImageSpec", "build_images", "build_service_images", "built_image", "resolve_images"]
