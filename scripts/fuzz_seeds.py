#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (fuzz/corpus/<target>/seed-*): small valid inputs of
every kind each reader accepts, and the hostile cases the tests name, so the fuzzer starts deep
inside every parser. The files are committed; rerun this only to change the seeds
(`target/ref-venv/bin/python scripts/fuzz_seeds.py`, it needs numpy, safetensors, tokenizers).
Crashes the fuzzer finds are added beside them as `regression-*` (see scripts/fuzz).
The `checkpoint` target's seeds are webtune's own format: `untrusted::tiny_checkpoint` writes them
(`WEBTUNE_WRITE_FUZZ_SEEDS=1 cargo test --lib untrusted`), and a unit test checks them.

The tiny model matches `webtune::untrusted::TINY_CONFIG`: 2 layers, hidden size 8, 20 tokens.
"""
import io
import json
import os
import struct
import zipfile

import numpy as np
from safetensors.numpy import save
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")

TINY = {"model_type": "bert", "vocab_size": 20, "hidden_size": 8, "num_hidden_layers": 2,
        "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 16,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "movie", "fine", "awful",
         "the", "a", "is", "not", "##s", "film", "great", "plot", ",", "."]


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(ROOT, target, f"seed-{name}"), "wb") as f:
        f.write(data)


def tiny_tensors(prefix="", dtype=np.float32):
    rng = np.random.default_rng(0)
    h, f = 8, 16
    shapes = {"embeddings.word_embeddings.weight": (20, h),
              "embeddings.position_embeddings.weight": (16, h),
              "embeddings.token_type_embeddings.weight": (2, h),
              "embeddings.LayerNorm.weight": (h,), "embeddings.LayerNorm.bias": (h,)}
    for i in range(2):
        p = f"encoder.layer.{i}"
        for name, shape in [("attention.self.query", (h, h)), ("attention.self.key", (h, h)),
                            ("attention.self.value", (h, h)), ("attention.output.dense", (h, h)),
                            ("intermediate.dense", (f, h)), ("output.dense", (h, f))]:
            shapes[f"{p}.{name}.weight"] = shape
            shapes[f"{p}.{name}.bias"] = shape[:1]
        for norm in ["attention.output.LayerNorm", "output.LayerNorm"]:
            shapes[f"{p}.{norm}.weight"] = (h,)
            shapes[f"{p}.{norm}.bias"] = (h,)
    return {prefix + k: (rng.standard_normal(s) * 0.1).astype(dtype) for k, s in shapes.items()}


def head(labels=2):
    rng = np.random.default_rng(1)
    return save({"linear.weight": rng.standard_normal((labels, 8)).astype(np.float32),
                 "linear.bias": np.zeros(labels, np.float32)})


def with_header(header, body):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + bytes(body)


def tokenizer_json():
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    return tok.to_str()


def zipped(files, top=""):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            method = zipfile.ZIP_STORED if name.endswith(".safetensors") else zipfile.ZIP_DEFLATED
            z.writestr(top + name, data, compress_type=method)
    return out.getvalue()


def main():
    # dataset: the first byte picks the format (0 sniffed, 1 csv, 2 tsv, 3 jsonl, 4 txt).
    labelled = "text,label\ngood movie,pos\nbad movie,neg\nfine film,pos\nawful plot,neg\n"
    write("dataset", "csv", b"\x00" + labelled.encode())
    write("dataset", "csv-quoted-crlf-bom", b"\x01\xef\xbb\xbf" + (
        'review,stars\r\n"a ""quoted"", line\r\nand more",5\r\nplain,1\r\nok,5\r\nmeh,1\r\n').encode())
    write("dataset", "tsv", b"\x02sentence\tlabel\nit is good\t1\nit is bad\t0\nfine\t1\nawful\t0\n")
    write("dataset", "jsonl", b"\x03" + "".join(
        json.dumps({"text": t, "label": l}) + "\n"
        for t, l in [("good", "pos"), ("bad", "neg"), ("great", "pos"), ("awful", 0)]).encode())
    write("dataset", "txt", b"\x04pos\tgood movie\nneg\tbad\tmovie\npos\tfine\nneg\tawful\n")
    write("dataset", "headerless", b"\x00good movie,1\nbad movie,0\nfine,1\nawful,0\n")
    write("dataset", "pairs", b"\x01anchor,positive,negative\na good film,great movie,bad plot\n"
          b"the plot,a story,awful\n")
    write("dataset", "scored", b"\x02sentence1\tsentence2\tscore\na\tb\t4.5\nc\td\t0\ne\tf\t2.25\n")
    write("dataset", "utf16", b"\x00" + "text,label\ngood,1\n".encode("utf-16"))
    write("dataset", "nul", b"\x00text,label\ngood,1\n\x00\x01")
    write("dataset", "empty-labels", b"\x01text,label\na,\nb,\nc,\n")
    write("dataset", "unclosed-quote", b"\x01text,label\ngood,a\n\"oops,a\nmore,b\nmore,b\n")
    write("dataset", "ragged", b"\x01text,label\ngood,a,x\nbad\n,\n")
    # Files that would train on nothing (issue 30): JSON structure where a text is, a label on
    # every example or none (0/1 columns), pairs of a text with itself.
    write("dataset", "jsonl-structured", b"\x03{\"text\": {\"a\": 0}, \"label\": [1, 2]}\n"
          b"{\"text\": [\"x\"], \"label\": {\"v\": 1}}\n{\"text\": \"fine\", \"label\": [1]}\n")
    write("dataset", "flags-constant", b"\x01text,a,b,c\ngood,1,0,0\nbad,1,1,0\nfine,1,0,0\n")
    write("dataset", "pairs-identical", b"\x01sentence1,sentence2,label\nthe cat,the cat,same\n"
          b"a dog,a dog,other\n12,13,same\n")

    # config: the reader alone, then the encoder it describes loaded from a fixed tiny file.
    minilm = os.path.join(os.path.dirname(ROOT), "..", "www", "models", "all-MiniLM-L6-v2", "config.json")
    if os.path.exists(minilm):
        write("config", "minilm", open(minilm, "rb").read())
    write("config", "tiny", json.dumps(TINY))
    for name, change in [("zero-heads", {"num_attention_heads": 0}),
                         ("indivisible", {"num_attention_heads": 3}),
                         ("huge-hidden", {"hidden_size": 12000000, "num_attention_heads": 12}),
                         ("huge-layers", {"num_hidden_layers": 1000000}),
                         ("huge-ffn", {"intermediate_size": 10000000000}),
                         ("gpt2", {"model_type": "gpt2"}),
                         ("relative", {"position_embedding_type": "relative_key"}),
                         ("dropout", {"hidden_dropout_prob": 1.5})]:
        write("config", name, json.dumps({**TINY, **change}))

    # safetensors: read as the tiny encoder and as a two-label Dense head.
    write("safetensors", "tiny-f32", save(tiny_tensors()))
    write("safetensors", "tiny-f16", save(tiny_tensors(dtype=np.float16)))
    write("safetensors", "tiny-bert-prefix", save(tiny_tensors("bert.")))
    write("safetensors", "head", head())
    write("safetensors", "huge-shape", with_header(
        {"a": {"dtype": "F32", "shape": [2**32, 2**32, 2**32], "data_offsets": [0, 16]}}, b"\0" * 16))
    write("safetensors", "overlap", with_header(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
    write("safetensors", "truncated", save(tiny_tensors())[:-100])

    # model_zip: a tiny classifier and a tiny embedding model, as the page exports them.
    config = {**TINY, "architectures": ["BertModel"], "id2label": {"0": "neg", "1": "pos"},
              "label2id": {"neg": 0, "pos": 1}}
    base = {"config.json": json.dumps(config), "tokenizer.json": tokenizer_json(),
            "model.safetensors": save(tiny_tensors()),
            "sentence_bert_config.json": json.dumps({"max_seq_length": 16}),
            "1_Pooling/config.json": json.dumps({"word_embedding_dimension": 8, "pooling_mode": "mean"})}
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    classifier = {**base, "modules.json": json.dumps(modules + [
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]),
        "2_Dense/config.json": json.dumps({"in_features": 8, "out_features": 2, "bias": True,
                                           "activation_function": "torch.nn.modules.linear.Identity"}),
        "2_Dense/model.safetensors": head()}
    write("model_zip", "classifier", zipped(classifier))
    write("model_zip", "classifier-in-folder", zipped(classifier, "my-model/"))
    embedding = {**base, "modules.json": json.dumps(modules + [
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]),
        "webtune.json": json.dumps({"kind": "embedding"})}
    write("model_zip", "embedding", zipped(embedding))
    write("model_zip", "climbing", zipped({"../config.json": "{}"}))
    write("model_zip", "missing-weights", zipped({k: v for k, v in classifier.items() if k != "model.safetensors"}))


if __name__ == "__main__":
    main()
