# Predis server image. CPU engine by default:
#   docker build -t predis .
# The GPU image (CUDA 12 base; CuPy, numba-cuda and PyTorch's CUDA build; run with --gpus all):
#   docker build --build-arg VARIANT=gpu -t predis:gpu .
# Multi-stage: dependencies go into a venv in the build stage; the runtime stage runs as a
# non-root user with the data directory as a volume.
ARG VARIANT=cpu

FROM python:3.11-slim AS base-cpu
ENV PIP_EXTRA_INDEX="https://download.pytorch.org/whl/cpu" PREDIS_EXTRAS=""

FROM nvidia/cuda:12.6.3-base-ubuntu24.04 AS base-gpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
# PyPI's torch is the CUDA build; numba-cuda[cu12] brings NVVM and the CUDA runtime libraries
ENV PIP_EXTRA_INDEX="" PREDIS_EXTRAS="[gpu]" NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

FROM base-${VARIANT} AS build
WORKDIR /src
COPY pyproject.toml README.md predis.py ./
COPY server ./server
COPY gpu ./gpu
COPY ml ./ml
COPY ops ./ops
RUN python3 -m venv /opt/predis \
 && /opt/predis/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/predis/bin/pip install --no-cache-dir \
        ${PIP_EXTRA_INDEX:+--extra-index-url "$PIP_EXTRA_INDEX"} ".${PREDIS_EXTRAS}"

FROM base-${VARIANT}
RUN useradd --system --uid 10001 --home /data predis && mkdir -p /data && chown predis /data
COPY --from=build /opt/predis /opt/predis
USER predis
WORKDIR /data
VOLUME ["/data"]
EXPOSE 6379 9121
# The admin port answers /healthz while the server runs (inside the container: loopback unless
# admin-bind says otherwise, so the check asks 127.0.0.1)
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/opt/predis/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9121/healthz', timeout=2)"]
ENTRYPOINT ["/opt/predis/bin/predis-server"]
CMD ["--bind", "0.0.0.0", "--protected-mode", "yes", "--dir", "/data"]
