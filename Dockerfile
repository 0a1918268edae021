# GRU Lab in a container: the app with the README's dependencies (requirements.txt), served for a class.
#
#   docker build -t gru-lab .
#   docker run --rm -p 8501:8501 gru-lab                 # students open http://<host>:8501
#
# torch is pinned to a CPU build (requirements.txt: torch==2.13.0). From PyPI that exact version would pull several
# GB of CUDA libraries, so pip looks in PyTorch's CPU wheel index first. Several classes on one machine: run
# several containers behind nginx with sticky sessions, see deploy/README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 lab && chown -R lab /app
USER lab

EXPOSE 8501
# .streamlit/config.toml holds the class settings (no file watcher, no error details, bounded caches, timeouts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
