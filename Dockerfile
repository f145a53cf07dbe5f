# Predis server image (CPU engine). Multi-stage: dependencies are installed into a venv in the
# build stage; the runtime stage runs as a non-root user. The CUDA variant arrives with the GPU
# engine (see docs/architecture.md, "Not yet built").
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md predis.py ./
COPY server ./server
COPY gpu ./gpu
COPY ml ./ml
COPY ops ./ops
RUN python -m venv /opt/predis \
 && /opt/predis/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/predis/bin/pip install --no-cache-dir \
        --extra-index-url https://download.pytorch.org/whl/cpu .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /data predis && mkdir -p /data && chown predis /data
COPY --from=build /opt/predis /opt/predis
USER predis
WORKDIR /data
VOLUME ["/data"]
EXPOSE 6379
# The admin port (9121, loopback inside the container) answers /healthz while the server runs
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/opt/predis/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9121/healthz', timeout=2)"]
ENTRYPOINT ["/opt/predis/bin/predis-server"]
CMD ["--bind", "0.0.0.0", "--protected-mode", "yes", "--dir", "/data"]
