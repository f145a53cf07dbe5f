"""Learned eviction policy and the ML sidecar: arrive with their issues."""
