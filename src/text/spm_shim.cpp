// The only C++ in flowseq: the C API of spm.h over libsentencepiece. Every entry point catches
// all exceptions and turns them and failed util::Status values into fs_status + a message.
#include "text/spm.h"

#include "core/fileio.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct fs_spm {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

char *copy_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

fs_status from_status(const sentencepiece::util::Status &st, const char *what) {
  if (st.ok()) return FS_OK;
  return fs_error(FS_ERR_FORMAT, "sentencepiece %s: %s", what, st.ToString().c_str());
}

template <typename F>
fs_status guarded(const char *what, F body) {
  try {
    return body();
  } catch (const std::exception &ex) {
    return fs_error(FS_ERR_INTERNAL, "sentencepiece %s: %s", what, ex.what());
  } catch (...) {
    return fs_error(FS_ERR_INTERNAL, "sentencepiece %s: unknown exception", what);
  }
}

} // namespace

extern "C" fs_status fs_spm_load(const char *path, fs_spm **out) {
  *out = nullptr;
  FS_TRY(fs_check_readable_file(path)); /* sentencepiece's own message for a directory names no file */
  return guarded("load", [&]() -> fs_status {
    fs_spm *spm = new fs_spm();
    fs_status s = from_status(spm->processor.Load(path), path);
    if (s != FS_OK) {
      delete spm;
      return s;
    }
    *out = spm;
    return FS_OK;
  });
}

extern "C" void fs_spm_free(fs_spm *spm) { delete spm; }

extern "C" int fs_spm_vocab_size(const fs_spm *spm) { return spm->processor.GetPieceSize(); }

extern "C" fs_status fs_spm_encode(const fs_spm *spm, const char *text, int32_t **ids, int *n) {
  *ids = nullptr;
  *n = 0;
  return guarded("encode", [&]() -> fs_status {
    std::vector<int> v;
    fs_status s = from_status(spm->processor.Encode(text, &v), "encode");
    if (s != FS_OK) return s;
    *ids = static_cast<int32_t *>(std::malloc(sizeof(int32_t) * (v.size() + 1)));
    if (!*ids) return fs_error(FS_ERR_MEMORY, "sentencepiece encode: out of memory");
    for (size_t i = 0; i < v.size(); i++) (*ids)[i] = v[i];
    *n = static_cast<int>(v.size());
    return FS_OK;
  });
}

extern "C" fs_status fs_spm_encode_pieces(const fs_spm *spm, const char *text, char **pieces) {
  *pieces = nullptr;
  return guarded("encode", [&]() -> fs_status {
    std::vector<std::string> v;
    fs_status s = from_status(spm->processor.Encode(text, &v), "encode");
    if (s != FS_OK) return s;
    std::string joined;
    for (size_t i = 0; i < v.size(); i++) joined += (i ? " " : "") + v[i];
    *pieces = copy_string(joined);
    return *pieces ? FS_OK : fs_error(FS_ERR_MEMORY, "sentencepiece encode: out of memory");
  });
}

extern "C" fs_status fs_spm_decode(const fs_spm *spm, const int32_t *ids, int n, char **text) {
  *text = nullptr;
  return guarded("decode", [&]() -> fs_status {
    std::vector<int> v(ids, ids + n);
    std::string out;
    fs_status s = from_status(spm->processor.Decode(v, &out), "decode");
    if (s != FS_OK) return s;
    *text = copy_string(out);
    return *text ? FS_OK : fs_error(FS_ERR_MEMORY, "sentencepiece decode: out of memory");
  });
}

extern "C" fs_status fs_spm_id_to_piece(const fs_spm *spm, int id, char **piece) {
  *piece = nullptr;
  if (id < 0 || id >= spm->processor.GetPieceSize())
    return fs_error(FS_ERR_ARG, "sentencepiece: id %d outside the vocabulary of %d", id, spm->processor.GetPieceSize());
  return guarded("id_to_piece", [&]() -> fs_status {
    *piece = copy_string(spm->processor.IdToPiece(id));
    return *piece ? FS_OK : fs_error(FS_ERR_MEMORY, "sentencepiece: out of memory");
  });
}

extern "C" int fs_spm_piece_to_id(const fs_spm *spm, const char *piece) { return spm->processor.PieceToId(piece); }

extern "C" bool fs_spm_repeat_is_text(const fs_spm *spm, int id) {
  if (id < 0 || id >= spm->processor.GetPieceSize()) return false;
  try {
    if (spm->processor.IsByte(id)) return true;
    std::string piece = spm->processor.IdToPiece(id);
    const std::string boundary = "\xe2\x96\x81"; // U+2581, the word-boundary mark
    if (piece.compare(0, boundary.size(), boundary) == 0) piece.erase(0, boundary.size());
    return !piece.empty() && piece.find_first_not_of("0123456789") == std::string::npos;
  } catch (...) {
    return false;
  }
}

extern "C" fs_status fs_spm_train(const fs_spm_train_options *o) {
  return guarded("train", [&]() -> fs_status {
    std::string args =
        "--model_prefix=" + std::string(o->model_prefix) + " --vocab_size=" + std::to_string(o->vocab_size) +
        " --model_type=" + std::string(o->model_type ? o->model_type : "unigram") +
        " --character_coverage=" + std::to_string(o->character_coverage > 0 ? o->character_coverage : 1.0) +
        " --pad_id=0 --unk_id=1 --eos_id=2 --bos_id=3 --hard_vocab_limit=false" + " --minloglevel=2";
    if (o->split_digits) args += " --split_digits=true";
    if (o->byte_fallback) args += " --byte_fallback=true";
    if (o->input_sentence_size > 0)
      args += " --input_sentence_size=" + std::to_string(o->input_sentence_size) + " --shuffle_input_sentence=true";
    std::string inputs;
    for (int i = 0; i < o->n_inputs; i++) inputs += (i ? "," : "") + std::string(o->inputs[i]);
    args += " --input=" + inputs;
    sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned>(o->seed ? o->seed : 1)); // sampling is reproducible
    return from_status(sentencepiece::SentencePieceTrainer::Train(args), "train");
  });
}
