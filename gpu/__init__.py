"""String engine on the GPU (Numba CUDA) and its CPU twin: arrives with the GPU engine issue."""
