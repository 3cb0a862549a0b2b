# Consent Registry service image. Same install path as ./scripts/run: pinned packages, no compiling.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    REGISTRY_DATA_DIR=/data REGISTRY_ENVIRONMENT=production \
    PYTHONWARNINGS=ignore::UserWarning:face_recognition_models
# dlib-bin's wheel links against the system's BLAS/LAPACK and libstdc++; curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0 liblapack3 libgomp1 curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --no-deps -r requirements.lock \
 && python -c "import face_recognition, fastapi, sqlmodel"

COPY alembic.ini ./
COPY migrations ./migrations
COPY registry ./registry
COPY media ./media
COPY api ./api
COPY scripts ./scripts

RUN useradd --system --home /data registry && mkdir -p /data && chown registry /data
USER registry
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["python", "-m", "scripts.cli", "serve", "--host", "0.0.0.0", "--port", "8000"]
