# One image for the Airflow services and the dashboard, built from the same lock as `make`.
FROM python:3.11-slim

ENV UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    CAREPATH_PROJECT_DIR=/opt/carepath \
    CAREPATH_DATA_DIR=/data

RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /opt/carepath
COPY pyproject.toml uv.lock README.md ./
COPY carepath ./carepath
RUN uv sync --frozen --no-dev --group deploy
COPY dags ./dags
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY mappings ./mappings
COPY config ./config
COPY dashboard ./dashboard
COPY .streamlit ./.streamlit
