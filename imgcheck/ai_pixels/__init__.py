"""Pixel-level AI-image detection: features (CLIP embedding, noise residual statistics), the
upload-chain simulation used for training and evaluation, and the logistic head with its fitting code."""
