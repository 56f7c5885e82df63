#!/usr/bin/env bash
# The WMT14 German->English recipe of the FlowSeq paper, end to end, on N ranks (GPUs) via mpirun:
#   1. download  the WMT14 archives (corpora/manifests/wmt14-de-en.tsv: each archive's sha256 is
#                checked before unpacking), then their line counts
#   2. corpus    Europarl v7 + Common Crawl + News Commentary v9 (about 4.5 M pairs) joined into
#                WORKDIR/train.{de,en}; the test reference as plain text for scoring
#   3. vocab     one joint SentencePiece model of both sides (32000 pieces)
#   4. prep      the binarized dataset training memory-maps (WORKDIR/train.fsd)
#   5. teacher   the autoregressive Transformer (models/ar-base-wmt14.yaml)       [--no-teacher: off]
#   6. distill   its beam-4 translations of the training source, one shard per rank
#   7. prep      of the distilled pairs (WORKDIR/train.distilled.fsd)
#   8. student   FlowSeq (models/flowseq-base-wmt14.yaml) on the distilled targets (else the originals)
#   9. evaluate  newstest2014 (validation: newstest2013): FlowSeq argmax, and with a teacher its beam 4
#                and FlowSeq NPD 3x5 ranked by it; BLEU and chrF exactly as sacreBLEU 2.6 computes
#                them, signatures included (WORKDIR/TEST.bleu)
# Every step resumes: run the script again and finished steps are skipped (their output exists, a
# training run says phase: done), training resumes from its checkpoint, distillation from its last
# chunk (WORKDIR/distill.N holds the shards). At the end it prints where the time went
# (scripts/recipe-lib.sh). Delete a step's output to redo it.
#
# usage: scripts/train-wmt14.sh [options]
#   --workdir DIR          everything the recipe makes (default work/wmt14)
#   --data-dir DIR         downloads go to DIR/wmt14-de-en (default corpora)
#   --corpus-dir DIR       no download: the training pairs are every DIR/NAME.de[.gz] with its
#                          DIR/NAME.en[.gz]; then --valid and --test are needed too
#   --valid PREFIX         validation pair PREFIX.de[.gz], PREFIX.en[.gz] (or --valid-src/--valid-ref FILE)
#   --test PREFIX          test pair, likewise (or --test-src/--test-ref FILE; .sgm is read too)
#   --preset FILE          FlowSeq configuration (default models/flowseq-base-wmt14.yaml)
#   --teacher-preset FILE  the teacher's (default models/ar-base-wmt14.yaml)
#   --teacher | --no-teacher   train a teacher and distil (default) or train on the original targets
#   --teacher-model DIR    distil with this trained teacher instead of training one
#   --ranks N              processes (one GPU each) for training and distillation (default 1)
#   --vocab-size N         SentencePiece pieces (32000)    --vocab-sample N  sentences it samples (2000000)
#   --max-length N         prep drops pairs longer than N subwords (80)
#   --max-updates N        FlowSeq main-phase updates      --teacher-updates N  the teacher's (presets')
#   --beam K               distillation beam (4)
#   --eval LIST            comma-separated, from argmax, npd, teacher, npd-teacher (default:
#                          argmax,teacher,npd-teacher with a teacher, else argmax)
#   --student-args "..."   --teacher-args "..."  extra "--train.KEY VALUE" (--model.KEY) overrides
#   --distill-args "..."   extra flowseq distill options   --mpi-args "..."  extra mpirun options
# environment: FLOWSEQ (binary, default build/flowseq); STUDENT_ARGS, TEACHER_ARGS, MPI_ARGS (the
# defaults of --student-args, --teacher-args, --mpi-args). With N ranks the command is
#   mpirun -np N [--allow-run-as-root as root] [--oversubscribe when N > cores] MPI_ARGS
# and rank r of a node computes on GPU r (or the r-th entry of CUDA_VISIBLE_DEVICES); distillation
# runs N processes on those GPUs, one shard of the source each.
# Stand-in without internet (what tests/integration/test_wmt14_recipe.sh runs, smaller):
#   scripts/train-wmt14.sh --corpus-dir ../shared/corpora/wmt/pre2013 \
#     --valid ../shared/corpora/wmt/newstest2013 --test ../shared/corpora/wmt/newstest2013 \
#     --preset models/flowseq-tiny.yaml --teacher-preset models/flowseq-tiny.yaml \
#     --teacher-args "--model.type transformer --model.max_length 250" --vocab-size 1000 --ranks 2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "train-wmt14: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

work=work/wmt14 data_dir=$root/corpora corpus_dir="" preset=$root/models/flowseq-base-wmt14.yaml
teacher_preset=$root/models/ar-base-wmt14.yaml use_teacher=1 teacher_model="" ranks=1
vocab_size=32000 vocab_sample=2000000 max_length=80 max_updates="" teacher_updates="" beam=4 eval_list=""
valid_src="" valid_ref="" test_src="" test_ref="" test_name=""
student_args=${STUDENT_ARGS:-} teacher_args=${TEACHER_ARGS:-} distill_args="" mpi_extra=${MPI_ARGS:-}
pair() { # PREFIX LANG: PREFIX.LANG or PREFIX.LANG.gz
  if [ -f "$1.$2" ]; then echo "$1.$2"; elif [ -f "$1.$2.gz" ]; then echo "$1.$2.gz"; else
    die "neither $1.$2 nor $1.$2.gz exists"; fi
}
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    -h|--help) usage; exit 0 ;;
    --teacher) use_teacher=1; shift; continue ;;
    --no-teacher) use_teacher=0; shift; continue ;;
    --*) [ $# -ge 2 ] || die "$opt needs a value (--help lists the options)" ;;
    *) die "unexpected argument '$opt' (--help lists the options)" ;;
  esac
  val=$2
  case $opt in
    --workdir) work=$val ;;
    --data-dir) data_dir=$val ;;
    --corpus-dir) corpus_dir=$val ;;
    --valid) valid_src=$(pair "$val" de); valid_ref=$(pair "$val" en) ;;
    --valid-src) valid_src=$val ;;
    --valid-ref) valid_ref=$val ;;
    --test) test_src=$(pair "$val" de); test_ref=$(pair "$val" en); test_name=$(basename "$val") ;;
    --test-src) test_src=$val ;;
    --test-ref) test_ref=$val ;;
    --preset) preset=$val ;;
    --teacher-preset) teacher_preset=$val ;;
    --teacher-model) teacher_model=$val ;;
    --ranks) ranks=$val ;;
    --vocab-size) vocab_size=$val ;;
    --vocab-sample) vocab_sample=$val ;;
    --max-length) max_length=$val ;;
    --max-updates) max_updates=$val ;;
    --teacher-updates) teacher_updates=$val ;;
    --beam) beam=$val ;;
    --eval) eval_list=$val ;;
    --student-args) student_args=$val ;;
    --teacher-args) teacher_args=$val ;;
    --distill-args) distill_args=$val ;;
    --mpi-args) mpi_extra=$val ;;
    *) die "unknown option $opt (--help lists the options)" ;;
  esac
  shift 2
done

# ---- checks before anything runs -------------------------------------------------------------
positive() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || die "$1 must be a positive integer, not '$2'"; }
positive --ranks "$ranks"
positive --vocab-size "$vocab_size"
positive --vocab-sample "$vocab_sample"
positive --max-length "$max_length"
positive --beam "$beam"
[ -z "$max_updates" ] || positive --max-updates "$max_updates"
[ -z "$teacher_updates" ] || positive --teacher-updates "$teacher_updates"
[ -f "$preset" ] || die "preset $preset not found"
bin=${FLOWSEQ:-$root/build/flowseq}
[ -x "$bin" ] || die "flowseq binary $bin not found: build it (scripts/build.sh) or set FLOWSEQ"
if [ -n "$teacher_model" ]; then
  [ -f "$teacher_model/model.safetensors" ] || die "--teacher-model $teacher_model holds no model"
  use_teacher=1
elif [ $use_teacher -eq 1 ]; then
  [ -f "$teacher_preset" ] || die "teacher preset $teacher_preset not found"
fi
if [ -n "$corpus_dir" ]; then
  [ -d "$corpus_dir" ] || die "--corpus-dir $corpus_dir is not a directory"
  [ -n "$valid_src" ] && [ -n "$valid_ref" ] || die "--corpus-dir needs --valid PREFIX (or --valid-src and --valid-ref)"
  [ -n "$test_src" ] && [ -n "$test_ref" ] || die "--corpus-dir needs --test PREFIX (or --test-src and --test-ref)"
else
  wmt=$data_dir/wmt14-de-en # what the manifest unpacks
  : "${valid_src:=$wmt/dev/newstest2013.de}" "${valid_ref:=$wmt/dev/newstest2013.en}"
  : "${test_src:=$wmt/dev/newstest2014-deen-src.de.sgm}" "${test_ref:=$wmt/dev/newstest2014-deen-ref.en.sgm}"
  : "${test_name:=newstest2014}"
fi
[ -n "$test_name" ] || test_name="test"
if [ -z "$eval_list" ]; then
  if [ $use_teacher -eq 1 ]; then eval_list=argmax,teacher,npd-teacher; else eval_list=argmax; fi
fi
IFS=, read -ra eval_systems <<<"$eval_list"
for e in "${eval_systems[@]}"; do
  case $e in
    argmax|npd) ;;
    teacher|npd-teacher) [ $use_teacher -eq 1 ] || die "--eval $e needs a teacher (not with --no-teacher)" ;;
    *) die "--eval: unknown system '$e' (argmax, npd, teacher, npd-teacher)" ;;
  esac
done
if [ "$ranks" -gt 1 ]; then
  command -v mpirun >/dev/null || die "--ranks $ranks needs mpirun (scripts/install-deps.sh installs Open MPI)"
  "$bin" info 2>/dev/null | grep -q '^mpi: yes' || die "--ranks $ranks needs a flowseq built with MPI (FLOWSEQ_MPI=ON)"
fi
# mpirun's options: as root it must be allowed; more ranks than cores must be allowed too
mpi_args=()
[ "$(id -u)" -eq 0 ] && mpi_args+=(--allow-run-as-root)
[ "$ranks" -gt "$(nproc)" ] && [[ " $mpi_extra " != *" --oversubscribe "* ]] && mpi_args+=(--oversubscribe)
# shellcheck disable=SC2206 # word lists on purpose
mpi_args+=($mpi_extra)

mkdir -p "$work"
source "$root/scripts/recipe-lib.sh" # recipe_step, recipe_skip, recipe_trained, recipe_best, recipe_times
echo "[train-wmt14] work in $work, $ranks rank(s), FlowSeq preset $preset, teacher:" \
  "$([ -n "$teacher_model" ] && echo "$teacher_model" || { [ $use_teacher -eq 1 ] && echo "$teacher_preset" || echo none; })" >&2

# Rank r of a node computes on GPU r, or on the r-th of the GPUs CUDA_VISIBLE_DEVICES names.
pick_gpu='r=${OMPI_COMM_WORLD_LOCAL_RANK:-${RECIPE_SHARD:-0}}
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then IFS=, read -ra g <<<"$CUDA_VISIBLE_DEVICES"
  export CUDA_VISIBLE_DEVICES=${g[r % ${#g[@]}]}; else export CUDA_VISIBLE_DEVICES=$r; fi'
on_ranks() { # COMMAND...: on $ranks ranks through mpirun (one GPU each), or as it is for 1 rank
  if [ "$ranks" -eq 1 ]; then "$@"; return; fi
  mpirun -np "$ranks" "${mpi_args[@]}" bash -c "$pick_gpu"'
exec "$@"' rank "$@"
}

# ---- 1. download -----------------------------------------------------------------------------
lines() { if [[ $1 == *.gz ]]; then gzip -dc "$1" | wc -l; else wc -l <"$1"; fi; }
segments() { grep -c '<seg[ >]' "$1"; }
parts=() # training corpora: source files, each with its .en beside it ("${part%.de*}.en...")
download() {
  bash "$root/scripts/get-corpus.sh" --dest "$data_dir" wmt14-de-en || {
    echo "download: failed (without internet, give the corpus as text: --corpus-dir DIR --valid PREFIX --test PREFIX)" >&2
    return 1
  }
  local f n
  for f in "${parts[@]}"; do
    [ -f "$f" ] && [ -f "$(en_of "$f")" ] || { echo "download: $f or its English side is missing after unpacking" >&2; return 1; }
  done
  n=$(lines "$valid_src")
  [ "$n" -eq 3000 ] && [ "$(lines "$valid_ref")" -eq 3000 ] ||
    { echo "download: newstest2013 should have 3000 lines a side, not $n" >&2; return 1; }
  n=$(segments "$test_src")
  [ "$n" -eq 3003 ] && [ "$(segments "$test_ref")" -eq 3003 ] ||
    { echo "download: newstest2014 (full) should have 3003 segments a side, not $n" >&2; return 1; }
  touch "$wmt/.verified"
}
en_of() { # the English side of a source file NAME.de[.gz]
  local f=$1
  case $f in *.de.gz) echo "${f%.de.gz}.en.gz" ;; *.de) echo "${f%.de}.en" ;; *) return 1 ;; esac
}
if [ -n "$corpus_dir" ]; then
  shopt -s nullglob
  for f in "$corpus_dir"/*.de "$corpus_dir"/*.de.gz; do
    [ -f "$(en_of "$f")" ] || die "$f has no English side $(en_of "$f")"
    parts+=("$f")
  done
  shopt -u nullglob
  [ ${#parts[@]} -gt 0 ] || die "--corpus-dir $corpus_dir holds no NAME.de[.gz] files"
  recipe_skip download "--corpus-dir $corpus_dir"
else
  parts=("$wmt/training/europarl-v7.de-en.de" "$wmt/commoncrawl.de-en.de" "$wmt/training/news-commentary-v9.de-en.de")
  if [ -f "$wmt/.verified" ]; then recipe_skip download "$wmt verified"; else
    command -v curl >/dev/null || die "downloading needs curl (or give --corpus-dir DIR)"
    recipe_step download download
  fi
fi
for f in "$valid_src" "$valid_ref" "$test_src" "$test_ref"; do [ -f "$f" ] || die "$f not found"; done

# ---- 2. corpus -------------------------------------------------------------------------------
corpus() {
  local f e n m total=0
  : >"$work/train.de.tmp"
  : >"$work/train.en.tmp"
  for f in "${parts[@]}"; do
    e=$(en_of "$f")
    n=$(lines "$f") m=$(lines "$e")
    [ "$n" -eq "$m" ] || { echo "corpus: $f has $n lines but $e has $m" >&2; return 1; }
    echo "[corpus] $f: $n pairs" >&2
    total=$((total + n))
    if [[ $f == *.gz ]]; then gzip -dc "$f" >>"$work/train.de.tmp"; gzip -dc "$e" >>"$work/train.en.tmp"; else
      cat "$f" >>"$work/train.de.tmp"; cat "$e" >>"$work/train.en.tmp"; fi
  done
  echo "[corpus] $total training pairs in $work/train.{de,en}" >&2
  mv "$work/train.en.tmp" "$work/train.en"
  mv "$work/train.de.tmp" "$work/train.de"
}
# The reference as sacreBLEU reads it: plain text as it is; from SGML every line that starts with
# "<seg ", its element replaced by the text inside, stripped, each whitespace run made one space,
# whitespace being Python's (str.isspace): sacreBLEU's own extraction (flowseq bleu reads plain text).
test_reference() {
  case $test_ref in
    *.sgm)
      command -v perl >/dev/null || { echo "corpus: reading $test_ref needs perl" >&2; return 1; }
      perl -CSD -ne 'BEGIN { $w = qr/[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]/ }
        next unless /^<seg /; s/<seg.*?>(.*)<\/seg>/$1/g; s/^$w+|$w+$//g; s/$w+/ /g; print "$_\n"' \
        "$test_ref" >"$work/$test_name.ref.en.tmp" ;;
    *.gz) gzip -dc "$test_ref" >"$work/$test_name.ref.en.tmp" ;;
    *) cp "$test_ref" "$work/$test_name.ref.en.tmp" ;;
  esac
  mv "$work/$test_name.ref.en.tmp" "$work/$test_name.ref.en"
}
if [ -s "$work/train.de" ] && [ -s "$work/train.en" ]; then recipe_skip corpus "$work/train.{de,en} exist"; else
  recipe_step corpus corpus
fi
if [ -s "$work/$test_name.ref.en" ]; then recipe_skip reference "$work/$test_name.ref.en exists"; else
  recipe_step reference test_reference
fi

# ---- 3. vocab, 4. prep -----------------------------------------------------------------------
if [ -s "$work/spm.model" ]; then recipe_skip vocab "$work/spm.model exists"; else
  recipe_step vocab bash -c '"$1" vocab -i "$2/train.de" -i "$2/train.en" --vocab-size "$3" --sample "$4" \
    -o "$2/spm.tmp.model" && mv "$2/spm.tmp.model" "$2/spm.model"' vocab "$bin" "$work" "$vocab_size" "$vocab_sample"
fi
prep() { # TARGETS OUT
  "$bin" prep --spm "$work/spm.model" --src "$work/train.de" --tgt "$1" --max-length "$max_length" -o "$2"
}
if [ -s "$work/train.fsd" ]; then recipe_skip prep "$work/train.fsd exists"; else
  recipe_step prep prep "$work/train.en" "$work/train.fsd"
fi

common=(--train.spm "$work/spm.model" --train.valid_src "$valid_src" --train.valid_tgt "$valid_ref")
# A training step on the ranks, skipped once its run has finished: NAME OUTPUT PRESET DATASET
# UPDATES (empty: the preset's) EXTRA_OVERRIDES (a word list).
train_on_ranks() {
  local name=$1 out=$2 config=$3 data=$4 updates=$5 extra=$6
  if recipe_trained "$out"; then recipe_skip "$name" "$out has finished"; return; fi
  local args=("${common[@]}" --train.train_data "$data" --train.output "$out")
  [ -z "$updates" ] || args+=(--train.max_updates "$updates")
  # shellcheck disable=SC2086 # word lists on purpose
  recipe_step "$name" on_ranks "$bin" train -c "$config" "${args[@]}" $extra
}

# ---- 5. teacher, 6. distill, 7. prep -----------------------------------------------------------
teacher=""
if [ $use_teacher -eq 1 ]; then
  if [ -n "$teacher_model" ]; then
    recipe_skip teacher "--teacher-model $teacher_model"
    teacher=$teacher_model
  else
    train_on_ranks teacher "$work/teacher" "$teacher_preset" "$work/train.fsd" "$teacher_updates" "$teacher_args"
    teacher=$(recipe_best "$work/teacher")
  fi

  # One shard of the source per rank, each distilled by its own process on its own GPU and
  # resumable on its own (flowseq distill); the outputs are joined in order.
  distill() {
    local dir=$work/distill.$ranks i pids=() failed=0
    mkdir -p "$dir"
    if [ ! -f "$dir/shards.done" ]; then
      if [ "$ranks" -eq 1 ]; then ln -sfn "$(cd "$work" && pwd)/train.de" "$dir/src.000"; else
        split -n "l/$ranks" -d -a 3 "$work/train.de" "$dir/src."; fi
      touch "$dir/shards.done"
    fi
    for ((i = 0; i < ranks; i++)); do
      local s; s=$(printf %03d $i)
      [ -f "$dir/out.$s" ] && continue
      # shellcheck disable=SC2086 # word lists on purpose
      RECIPE_SHARD=$i bash -c "$pick_gpu"'
exec "$@"' shard "$bin" distill -m "$teacher" -i "$dir/src.$s" -o "$dir/out.$s" --beam "$beam" $distill_args \
        2>"$dir/log.$s" &
      pids+=("$!:$s")
    done
    for p in "${pids[@]}"; do
      wait "${p%%:*}" || { failed=1; echo "distill: shard ${p#*:} failed; its log, $dir/log.${p#*:}, ends:" >&2
        tail -n 5 "$dir/log.${p#*:}" >&2; }
    done
    [ $failed -eq 0 ] || return 1
    cat "$dir"/out.* >"$work/train.distilled.en.tmp"
    local n m
    n=$(wc -l <"$work/train.de") m=$(wc -l <"$work/train.distilled.en.tmp")
    [ "$n" -eq "$m" ] || { echo "distill: $m distilled lines for $n source lines" >&2; return 1; }
    mv "$work/train.distilled.en.tmp" "$work/train.distilled.en"
    echo "[distill] $n lines by $ranks process(es) in $work/train.distilled.en" >&2
  }
  if [ -s "$work/train.distilled.en" ]; then recipe_skip distill "$work/train.distilled.en exists"; else
    recipe_step distill distill
  fi
  if [ -s "$work/train.distilled.fsd" ]; then recipe_skip prep-distilled "$work/train.distilled.fsd exists"; else
    recipe_step prep-distilled prep "$work/train.distilled.en" "$work/train.distilled.fsd"
  fi
  student_data=$work/train.distilled.fsd
else
  student_data=$work/train.fsd
fi

# ---- 8. student ------------------------------------------------------------------------------
train_on_ranks student "$work/flowseq" "$preset" "$student_data" "$max_updates" "$student_args"
student=$(recipe_best "$work/flowseq")

# ---- 9. evaluate -----------------------------------------------------------------------------
# Each system's translation is kept (WORKDIR/TEST.SYSTEM.en) and redone only when its model is
# newer; the scores are always recomputed.
evaluate() {
  local e model args hyp metric
  for e in "${eval_systems[@]}"; do
    case $e in
      argmax) model=$student args=() ;;
      npd) model=$student args=(--decode npd --lengths 3 --samples 5) ;;
      teacher) model=$teacher args=(--beam 4) ;;
      npd-teacher) model=$student args=(--decode npd --lengths 3 --samples 5 --rescore "$teacher") ;;
    esac
    hyp=$work/$test_name.$e.en
    if [ ! -s "$hyp" ] || [ "$model/model.safetensors" -nt "$hyp" ] ||
      { [ -n "$teacher" ] && [ "$e" = npd-teacher ] && [ "$teacher/model.safetensors" -nt "$hyp" ]; }; then
      "$bin" translate -m "$model" -i "$test_src" -o "$hyp" --quiet "${args[@]}"
    fi
    "$bin" bleu "$work/$test_name.ref.en" -i "$hyp" -m bleu chrf -f text | while IFS= read -r metric; do
      printf '%-12s %s\n' "$e" "${metric#"${metric%%[! ]*}"}"
    done
  done >"$work/$test_name.bleu.tmp"
  mv "$work/$test_name.bleu.tmp" "$work/$test_name.bleu"
}
recipe_step evaluate evaluate
echo "[train-wmt14] $test_name ($(wc -l <"$work/$test_name.ref.en") sentences), sacreBLEU 2.6 scores, in $work/$test_name.bleu:"
cat "$work/$test_name.bleu"
recipe_times
