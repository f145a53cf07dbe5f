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
EXPOSE 6379
ENTRYPOINT ["/opt/predis/bin/predis-server"]
CMD ["--bind", "0.0.0.0", "--protected-mode", "yes", "--dir", "/data"]
