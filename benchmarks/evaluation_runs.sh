#!/usr/bin/env bash
# The four runs of docs/evaluation.md with the default solver (issue 12, item 5).
#
#   bash benchmarks/evaluation_runs.sh [N] [TIME_LIMIT_PER_RUN_S]
#
# Trains the three small models of `wordinfo train` that are missing under runs/models
# (sst2-bert is trained separately: 37 min), writes the reverse task's first 200 test
# sequences, then runs `wordinfo evaluate --solver default` on each model at one thread
# under `nice -n 15`, logging to runs/eval/NAME.log with /usr/bin/time. Running it again
# continues every unfinished run from its records.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
LIMIT=${2:-}
PY=${PYTHON:-.venv/bin/python}
WI=("$(dirname "$PY")/wordinfo")   # the console script of the same environment
mkdir -p runs/models runs/eval
for spec in "reverse lstm" "reverse transformer" "sst2 lstm"; do
  set -- $spec
  [ -f "runs/models/$1-$2/metrics.json" ] || nice -n 15 "${WI[@]}" train --task "$1" --arch "$2" --threads 1 --quiet
done
if [ ! -s runs/eval/reverse-test.txt ]; then
  "$PY" - <<'PY'
import json
from wordinfo.training.reverse import ReverseTask
report = json.load(open("runs/models/reverse-lstm/metrics.json"))
gen = ReverseTask(seed=report["seed"], **{k: v for k, v in report["data"]["generator"].items() if k != "seed"})
open("runs/eval/reverse-test.txt", "w").write("\n".join(gen.sample(200, stream=2)) + "\n")
PY
fi
SST2=${WORDINFO_DATA:-../shared/data}/sst2/test.tsv
run() {   # model data name [extra evaluate options...]
  local model=$1 data=$2 name=$3; shift 3
  /usr/bin/time -v nice -n 15 "${WI[@]}" evaluate --model "runs/models/$model" --data "$data" --methods all \
      --n "$N" --solver default --threads 1 --out "runs/eval/$name" --quiet ${LIMIT:+--time-limit "$LIMIT"} "$@" \
      >>"runs/eval/$name.log" 2>&1 || echo "$name: exit $? (see runs/eval/$name.log)"
}
run reverse-lstm runs/eval/reverse-test.txt reverse-lstm-default
run reverse-transformer runs/eval/reverse-test.txt reverse-transformer-default
run sst2-lstm "$SST2" sst2-lstm-default
run sst2-bert "$SST2" sst2-bert-default --seed-sentences 20
