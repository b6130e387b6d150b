#!/usr/bin/env bash
# The steps of the edgenn gate action (action.yml), one per subcommand, configured by environment
# variables so that they run the same on GitHub, on another CI system, or on a workstation.
#
#   build     EDGENN_RECIPE or EDGENN_BUILD_COMMAND → EDGENN_BUILD_DIR (with report.json)
#   baseline  the base branch's report artifact → EDGENN_BASELINE_DIR/report.json (GH_TOKEN, the gh CLI);
#             a report already there is used as it is
#   gate      edgenn gate EDGENN_BUILD_DIR [--baseline EDGENN_BASELINE_DIR/report.json] EDGENN_BUDGETS,
#             writing gate.json, gate.md and gate.xml (JUnit) into the build folder; exit 1 when a
#             budget failed. The Markdown goes to GITHUB_STEP_SUMMARY when it is set.
set -euo pipefail

step="${1:?usage: edgenn-gate.sh build|baseline|gate}"
build_dir="${EDGENN_BUILD_DIR:-build/edgenn}"
baseline_dir="${EDGENN_BASELINE_DIR:-${RUNNER_TEMP:-/tmp}/edgenn-baseline}"

output() {  # a step output, where the runner reads them
    if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
}

case "$step" in
build)
    if [ -n "${EDGENN_BUILD_COMMAND:-}" ]; then
        export EDGENN_BUILD_DIR="$build_dir"
        bash -c "$EDGENN_BUILD_COMMAND"
    elif [ -n "${EDGENN_RECIPE:-}" ]; then
        # exit 1 (a recipe budget failed) still leaves a report to gate and upload
        edgenn run "$EDGENN_RECIPE" -o "$build_dir" || [ $? -eq 1 ]
    else
        echo "edgenn gate: set the 'recipe' or the 'build-command' input" >&2
        exit 2
    fi
    if [ ! -f "$build_dir/report.json" ]; then
        echo "edgenn gate: the build made no $build_dir/report.json (run 'edgenn eval' in build-command)" >&2
        exit 2
    fi
    output report "$build_dir/report.json"
    ;;
baseline)
    if [ -f "$baseline_dir/report.json" ]; then
        echo "baseline: $baseline_dir/report.json"
    else
        mkdir -p "$baseline_dir"
        run_id="$(gh run list --repo "$GITHUB_REPOSITORY" --branch "$EDGENN_BASE_BRANCH" --workflow "$EDGENN_WORKFLOW" \
            --status success --limit 1 --json databaseId --jq '.[0].databaseId // empty' || true)"
        if [ -n "$run_id" ] && gh run download "$run_id" --repo "$GITHUB_REPOSITORY" \
            --name "$EDGENN_ARTIFACT" --dir "$baseline_dir"; then
            echo "baseline: run $run_id on $EDGENN_BASE_BRANCH"
        else
            echo "::notice::edgenn gate: no '$EDGENN_ARTIFACT' artifact from a successful run on" \
                "$EDGENN_BASE_BRANCH yet: this build is checked against its absolute budgets only"
        fi
    fi
    output found "$([ -f "$baseline_dir/report.json" ] && echo true || echo false)"
    ;;
gate)
    args=(gate "$build_dir" --json "$build_dir/gate.json" --markdown "$build_dir/gate.md" --junit "$build_dir/gate.xml")
    if [ -f "$baseline_dir/report.json" ]; then
        args+=(--baseline "$baseline_dir/report.json")
    fi
    read -r -a budgets <<<"${EDGENN_BUDGETS:-}"
    status=0
    edgenn "${args[@]}" "${budgets[@]}" || status=$?
    output passed "$([ "$status" -eq 0 ] && echo true || echo false)"
    exit "$status"
    ;;
*)
    echo "usage: edgenn-gate.sh build|baseline|gate" >&2
    exit 2
    ;;
esac
