# credits-bot in a container: the Procfile's web process by default (`python -m bot socket` for Socket Mode).
#   docker build -t credits-bot .
#   docker run --env-file .env -p 3000:3000 credits-bot

# Build stage: exactly the versions of uv.lock (the ones CI tested), without the dev group, in /app/.venv.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never

# The same uv release as .ci/run, from PyPI.
RUN pip install uv==0.13.9

WORKDIR /app

# The dependencies in a layer of their own, from the lock alone: a change to the code reuses it.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project

COPY bot ./bot
RUN uv sync --locked --no-dev

# Runtime stage: the environment and the code, no uv, no pip cache, no build tools.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PATH=/app/.venv/bin:$PATH \
    PORT=3000

WORKDIR /app

COPY --from=build /app/.venv ./.venv
COPY bot ./bot

# The code belongs to root and the process runs as an unprivileged user who cannot change it. The user is
# numeric so that Kubernetes' runAsNonRoot can verify it without a runAsUser of its own.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin credits
USER 10001

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["python", "-m", "bot.serve.healthcheck"]
CMD ["gunicorn", "--config", "python:bot.serve.gunicorn_config", "bot.serve.wsgi:create_application()"]
