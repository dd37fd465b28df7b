"""webtune's classifier for transformers: BERT, attention-masked mean pooling, one linear layer.

Written beside every classifier webtune exports, so that

    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    model = AutoModelForSequenceClassification.from_pretrained(DIR, trust_remote_code=True)
    tokenizer = AutoTokenizer.from_pretrained(DIR)
    logits = model(**tokenizer(first, second, padding=True, truncation="longest_first",
                               max_length=128, return_tensors="pt")).logits

computes what webtune computes, for single texts and for sentence pairs alike (the pair is one
input, `[CLS] first [SEP] second [SEP]`). `logits` are the head's outputs: class logits
(softmax them), label logits (sigmoid each; webtune.json's `thresholds` decide), or the
predicted number (regression, on the targets' own scale). config.json's `problem_type` says
which, and the loss `labels=` computes follows it, as in `BertForSequenceClassification`.

The encoder's weights are the folder's model.safetensors (sentence-transformers' layout); the head's
are the Dense module's (`webtune_head.dir`, `linear.weight` / `linear.bias`), read after the
encoder is loaded. Load from a local folder.
"""
import os

import torch
from transformers import BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


class WebtuneBertForSequenceClassification(BertPreTrainedModel):
    _keys_to_ignore_on_load_missing = [r"classifier\."]
    # The base model's pooler is kept in the folder for `AutoModel`; this head does not use it.
    _keys_to_ignore_on_load_unexpected = [r"pooler\."]

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        loaded = super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        # `output_loading_info=True` returns (model, info).
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        from safetensors.torch import load_file

        head = getattr(model.config, "webtune_head", None) or {}
        path = os.path.join(str(pretrained_model_name_or_path), head.get("dir", "2_Dense"), "model.safetensors")
        weights = load_file(path)
        with torch.no_grad():
            model.classifier.weight.copy_(weights["linear.weight"])
            model.classifier.bias.copy_(weights["linear.bias"])
        return loaded

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        if (getattr(self.config, "webtune_head", None) or {}).get("normalize"):
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            kind = self.config.problem_type
            if kind == "regression":
                loss = torch.nn.functional.mse_loss(logits.squeeze(-1), labels.to(logits.dtype))
            elif kind == "multi_label_classification":
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
            else:
                loss = torch.nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)
