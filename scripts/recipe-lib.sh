# Shell functions shared by the training recipes (scripts/train-multi30k.sh, train-wmt14.sh);
# sourced, not run. They time each step, skip the ones whose output exists, pick the best model of
# a training run, and print where the time went at the end:
#   recipe_step NAME COMMAND...   prints "== NAME", runs COMMAND (in a subshell: a function's
#                                 variables do not come back), records its wall time; a failing
#                                 command stops the recipe with its exit status, naming the step
#   recipe_skip NAME WHY          records NAME as skipped ("== NAME: skipped (WHY)")
#   recipe_trained DIR            true when the training run in DIR has finished (phase: done)
#   recipe_unless_made NAME PATH COMMAND...     recipe_step, or recipe_skip when PATH exists
#                                               and is not empty
#   recipe_unless_trained NAME DIR COMMAND...   recipe_step, or recipe_skip when the training
#                                               run in DIR has finished
#   recipe_best DIR               DIR.best when training validated one, else DIR
#   recipe_times                  prints the time per step and the total (seconds)
# shellcheck shell=bash
recipe_step_times=()
recipe_step() {
  local name=$1 start=$SECONDS rc errexit=+e
  shift
  [[ $- == *e* ]] && errexit=-e
  echo "== $name" >&2
  # a subshell with errexit on, so that a shell function given as COMMAND stops at its first
  # failing command too (not from an if/&&/|| condition, where bash would ignore errexit)
  set +e
  (set -e; "$@")
  rc=$?
  set $errexit
  if [ $rc -ne 0 ]; then
    echo "recipe: step '$name' failed (exit $rc) after $((SECONDS - start)) s; run the recipe again to resume" >&2
    exit $rc
  fi
  recipe_step_times+=("$name $((SECONDS - start))")
}
recipe_skip() {
  echo "== $1: skipped ($2)" >&2
  recipe_step_times+=("$1 skipped")
}
recipe_trained() { [ -f "$1/progress.yaml" ] && grep -qx 'phase: done' "$1/progress.yaml"; }
recipe_unless_made() {
  local name=$1 path=$2
  shift 2
  if [ -s "$path" ]; then recipe_skip "$name" "$path exists"; else recipe_step "$name" "$@"; fi
}
recipe_unless_trained() {
  local name=$1 dir=$2
  shift 2
  if recipe_trained "$dir"; then recipe_skip "$name" "$dir has finished"; else recipe_step "$name" "$@"; fi
}
recipe_best() { if [ -d "$1.best" ]; then echo "$1.best"; else echo "$1"; fi; }
recipe_times() {
  local entry total=0
  echo "time per step (seconds):"
  for entry in "${recipe_step_times[@]}"; do
    printf '  %s\n' "$entry"
    case ${entry##* } in skipped) ;; *) total=$((total + ${entry##* })) ;; esac
  done
  printf '  total %s\n' "$total"
}
