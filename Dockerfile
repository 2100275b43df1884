# bohran worker image: `docker build -t bohran .`, then `docker run bohran` runs `bohran worker`.
# Configuration comes from the environment (KAFKA_BOOTSTRAP, REDIS_URL, BOHRAN_CONFIG and the secret
# env vars the config names); mount bohran.yaml at $BOHRAN_CONFIG.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed numeric uid so Kubernetes can verify runAsNonRoot without a name lookup.
RUN groupadd --system --gid 10001 bohran \
    && useradd --system --uid 10001 --gid bohran --home-dir /var/lib/bohran --shell /usr/sbin/nologin bohran \
    && mkdir -p /var/lib/bohran /etc/bohran \
    && chown bohran:bohran /var/lib/bohran

# Only what the package needs: the build context may hold a venv, caches and git history.
WORKDIR /opt/bohran
COPY pyproject.toml README.md ./
COPY streams/ streams/
COPY alerts/ alerts/
COPY bohran/ bohran/
RUN pip install . \
    && rm -rf /opt/bohran/build /opt/bohran/*.egg-info

# In a container the web port must listen beyond loopback for Prometheus and probes to reach it.
ENV BOHRAN_CONFIG=/etc/bohran/bohran.yaml \
    BOHRAN_WEB_HOST=0.0.0.0 \
    BOHRAN_WEB_PORT=6066 \
    BOHRAN_DATA_DIR=/var/lib/bohran/data

# Faust keeps its local table data in BOHRAN_DATA_DIR: a writable place owned by the non-root user.
USER 10001:10001
WORKDIR /var/lib/bohran

# The worker's web port: Prometheus metrics at /metrics, liveness at /healthz.
EXPOSE 6066

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/healthz', timeout=4)"]

ENTRYPOINT ["bohran"]
CMD ["worker"]
