# One image for Rasa, the action server and the desk (the command differs).
FROM python:3.11-slim-bookworm
WORKDIR /app
# Compose's Rasa, action server and desk log their own output, not third parties'
# deprecation warnings: the same filters as scripts/run.sh and run_cluster.sh.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    PYTHONWARNINGS=ignore::DeprecationWarning,ignore::PendingDeprecationWarning,ignore::FutureWarning
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY requirements/ requirements/
RUN pip install -r requirements/lock.txt \
 && pip install -c requirements/lock.txt -r requirements/extra.txt \
 && pip install --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
COPY . .
RUN pip install --no-deps -e . && rasa train --fixed-model-name shopbot --out models
EXPOSE 5005 5055 8000
