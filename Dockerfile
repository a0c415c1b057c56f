# syntax=docker/dockerfile:1
# The one image behind every Newsdesk service in docker-compose.yml (setup, scheduler,
# io-worker, cpu-worker, cli). It talks to the Elasticsearch and Redis services, so the
# optional `embedded` extra (a bundled Elasticsearch for `newsdesk run`/`demo`) is not
# installed.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
# Bytecode is compiled here on purpose: the runtime filesystem is read-only.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, read from pyproject.toml alone: editing the code does not
# invalidate this layer, only changing the dependency list does.
COPY pyproject.toml requirements/model.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps --require-hashes -r model.txt \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project'].get('dependencies', [])))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the package itself, without touching the dependencies installed above.
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps . \
    && newsdesk --help > /dev/null


FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NEWSDESK_FEEDS_PATH=/config/feeds.yaml \
    NEWSDESK_DATA_DIR=/tmp/newsdesk

# A fixed, unprivileged UID so bind-mounted files only need to be world-readable.
RUN groupadd --system --gid 10001 newsdesk \
    && useradd --system --uid 10001 --gid newsdesk --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin newsdesk

# The installed venv is the whole application: data files such as the index template
# and the Kibana saved objects must ship inside the packages (package data).
COPY --from=build /opt/venv /opt/venv
WORKDIR /app

USER newsdesk:newsdesk
ENTRYPOINT ["newsdesk"]
CMD ["--help"]
