"""GB 45438 labels for AI-generated content: implicit metadata carriers, signatures,
explicit notices, verification, propagation and platform intake (TC260 guide 2)."""
