"""Airflow DAG for sosie on Dataflow (README, "Scheduling").

featurize runs once a day; then, for every active advertiser, train and
score run on that day's persons. The run date is the DAG run's data
interval end ({{ data_interval_end | ds }}), so re-running a day replaces
that day's rows (files overwritten, BigQuery rows replaced by run date,
advertiser and seed list) and never duplicates them.

Each task runs a job binary from the sosie worker image (the Dockerfile's
`worker` stage puts them in /opt/sosie) with --runner=dataflow: the binary
submits the pipeline, waits for it, writes its report and exits with
sosie's exit codes. 0 is success; 3 means done but a seed list is not
predictive or its audience was withheld, which skips the advertiser's
downstream tasks instead of failing the DAG; 1 and 2 fail the task, and
1 (a failed run) is retried.

Set the Airflow Variables sosie_project, sosie_region, sosie_bucket,
sosie_worker_image, sosie_service_account and sosie_advertisers (a JSON
list of advertiser ids whose seed lists are in the config).
"""

import datetime

from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator

DATAFLOW = (
    " --runner=dataflow"
    " --project={{ var.value.sosie_project }}"
    " --region={{ var.value.sosie_region }}"
    " --temp_location=gs://{{ var.value.sosie_bucket }}/tmp"
    " --staging_location=gs://{{ var.value.sosie_bucket }}/staging"
    " --sdk_container_image={{ var.value.sosie_worker_image }}"
    " --service_account_email={{ var.value.sosie_service_account }}"
    " --worker_machine_type=n2-highmem-4"
    " --max_num_workers=50"
    " --job_name=sosie-{{ params.job }}-{{ data_interval_end | ds_nodash }}"
)
COMMON = (
    " --config=gs://{{ var.value.sosie_bucket }}/configs/dataflow.yaml"
    " --as-of={{ data_interval_end | ds }}"
)

default_args = {
    "retries": 2,
    "retry_delay": datetime.timedelta(minutes=15),
    "retry_exponential_backoff": True,
}

with DAG(
    dag_id="sosie",
    schedule="0 3 * * *",
    start_date=datetime.datetime(2026, 11, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["sosie"],
) as dag:
    featurize = BashOperator(
        task_id="featurize",
        bash_command="/opt/sosie/featurize" + COMMON + DATAFLOW,
        params={"job": "featurize"},
    )
    for advertiser in Variable.get("sosie_advertisers", default_var="[]", deserialize_json=True):
        train = BashOperator(
            task_id=f"train_{advertiser}",
            bash_command="/opt/sosie/train" + COMMON + f" --advertiser={advertiser}" + DATAFLOW,
            params={"job": f"train-{advertiser}"},
            skip_on_exit_code=3,
        )
        score = BashOperator(
            task_id=f"score_{advertiser}",
            bash_command="/opt/sosie/score" + COMMON + f" --advertiser={advertiser}" + DATAFLOW,
            params={"job": f"score-{advertiser}"},
            skip_on_exit_code=3,
        )
        featurize >> train >> score
