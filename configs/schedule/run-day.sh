#!/usr/bin/env bash
# One day of sosie from cron (README, "Scheduling"): featurize, then train
# and score per advertiser, on Dataflow, each job retried twice when it
# fails (exit 1). The run date is the first argument, yesterday by default:
# re-running a date replaces its rows.
#
#   0 3 * * *  sosie  /opt/sosie/run-day.sh >>/var/log/sosie.log 2>&1
#
# Exit: 0 all done; 3 done, but some seed list not predictive or withheld
# (its summary line names it); otherwise the failing job's code.
set -uo pipefail

AS_OF=${1:-$(date -u -d yesterday +%F)}
: "${SOSIE_PROJECT:?}" "${SOSIE_REGION:?}" "${SOSIE_BUCKET:?}" "${SOSIE_WORKER_IMAGE:?}" "${SOSIE_ADVERTISERS:?space-separated advertiser ids}"
BIN=${SOSIE_BIN:-/opt/sosie}
DATAFLOW=(--runner=dataflow --project="$SOSIE_PROJECT" --region="$SOSIE_REGION"
	--temp_location="gs://$SOSIE_BUCKET/tmp" --staging_location="gs://$SOSIE_BUCKET/staging"
	--sdk_container_image="$SOSIE_WORKER_IMAGE" --worker_machine_type=n2-highmem-4 --max_num_workers=50)
COMMON=(--config="gs://$SOSIE_BUCKET/configs/dataflow.yaml" --as-of="$AS_OF")

# run JOB [ARGS...]: the job, retried on exit 1 (a failed run) after 5 and
# 15 minutes; 2 (bad input) and 3 (not predictive, withheld) are final.
run() {
	local job=$1 code
	shift
	for wait in 300 900 0; do
		"$BIN/$job" "${COMMON[@]}" "$@" "${DATAFLOW[@]}"
		code=$?
		[ "$code" -ne 1 ] && return "$code"
		[ "$wait" -gt 0 ] && sleep "$wait"
	done
	return "$code"
}

run featurize || exit $?
status=0
for advertiser in $SOSIE_ADVERTISERS; do
	run train --advertiser="$advertiser"
	code=$?
	if [ "$code" -eq 0 ]; then
		run score --advertiser="$advertiser"
		code=$?
	fi
	case $code in
	0) ;;
	3) [ "$status" -eq 0 ] && status=3 ;;
	*) status=$code ;;
	esac
done
exit "$status"
