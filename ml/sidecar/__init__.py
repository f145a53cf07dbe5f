"""The ML sidecar's building blocks (issue 6): drift detectors and miss-ratio curves. The
process, sampler, registry and A/B rollout arrive with the rest of that issue."""
