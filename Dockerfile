# credits-bot in a container: the Procfile's web process by default (`python -m bot socket` for Socket Mode).
#   docker build -t credits-bot .
#   docker run --env-file .env -p 3000:3000 credits-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    PORT=3000

WORKDIR /app

# Dependencies come from pyproject.toml alone, in their own layer: a change to the code reuses it.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt
RUN pip install --requirement requirements.txt

COPY bot ./bot

# The code belongs to root and the process runs as an unprivileged user who cannot change it.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin credits
USER credits

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["python", "-m", "bot.serve.healthcheck"]
CMD ["gunicorn", "--config", "python:bot.serve.gunicorn_config", "bot.serve.wsgi:create_application()"]
