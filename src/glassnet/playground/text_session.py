"""The Text page's session: the 2-D page's session (thread, pacing, frames, health, links,
export) around a :class:`~.text.TextTrainer`.

Server -> page messages
    ``hello``   {session, page, limits, defaults, options}
    ``text``    {text, custom, vocab, cut, link_text, link_text_bytes, link_text_limit}   the text
                trained on (sent at the start and when it changes; ``cut``: the length a paste was
                cut from, else null; ``link_text``: a paste as a share link's ``text=``, null for
                the default text or a paste over ``link_text_limit`` compressed bytes)
    ``state``   {rev, config, vocab, n_chars, n_train, custom, T, floor, val_floor, history,
                n_params, link_params, playing, ack}
    frame       binary (``text.py``): losses against the bigram floor, the window under the
                cursor and its next-character prediction, the sample being written, every head's
                attention map of the window
    ``health``  {diverged, warnings}: dead ReLUs in a feed-forward layer (explain's insights),
                a stalled loss, a divergence
    ``explain`` one attention weight stepped through (``textstep.py``)
    ``export``  {filename, safetensors (base64), code_filename, code}
"""
from __future__ import annotations

from . import export as X
from . import health as H
from . import links as K
from .protocol import ProtocolError
from .session import Session
from .text import TextTrainer
from .text_protocol import (MODELS, CursorMsg, ExplainWeightMsg, SampleMsg, TextConfig, TextLimits, TextMsg,
                            TextSetMsg, read_link_field)


def hello(session) -> dict:
    return {"type": "hello", "session": session.id, "page": "text", "limits": TextLimits.as_dict(),
            "defaults": TextConfig().model_dump(), "options": {"models": list(MODELS)}}


class TextSession(Session):
    """A tab of the Text page."""

    crowd_interval = 0.25      # frames in a crowd: at least 4/s each (the goal is 2)

    def make_trainer(self):
        return TextTrainer()

    def _publish_state(self) -> None:
        t = self.trainer
        if getattr(self, "_text_sent", None) is not t.text:
            self._text_sent = t.text
            link, packed = K.encode_text(t.text) if t.custom else (None, 0)
            self.send({"type": "text", "text": t.text, "custom": t.custom, "vocab": t.vocab.chars,
                       "cut": getattr(self, "_cut", None), "link_text": link, "link_text_bytes": packed,
                       "link_text_limit": K.LINK_TEXT_BYTES})
        super()._publish_state()

    def diagnose(self, loss: float) -> dict:
        t = self.trainer
        return H.broken_parameters(t, loss) or {"kind": "diverged", "step": t.steps, "where": "the loss", "message": (
            f"Training diverged at step {t.steps}: the loss is {loss}; the logits grew past what float32 can "
            f"hold. Lower the learning rate and press reset.")}

    def apply_link_text(self, field: str) -> list:
        """Train on a link's text (before its fields and weights: the vocabulary sizes the model)."""
        try:
            text = K.decode_text(field, TextLimits.max_chars)
            self.trainer.set_text(text)
        except ProtocolError as err:
            return [f"{err} — the page trains on {'its' if self.trainer.custom else 'the default'} text instead"]
        return []

    def apply_link_fields(self, fields: dict) -> list:
        fields = dict(fields)
        problems = []
        omitted = fields.pop("text_omitted", None)
        if omitted is not None:
            n = f"{int(omitted):,} characters" if omitted.isdigit() else "a text"
            problems.append(f"This link was made on a pasted text of {n}, too long for a link (a link carries at "
                            f"most {K.LINK_TEXT_BYTES:,} compressed bytes), so it was not included: the page trains "
                            f"on {'its' if self.trainer.custom else 'the default'} text. Paste the text and press "
                            f"“Train on this text” to train on it.")
        if "n_head" in fields and "n_embd" in fields:      # they must fit together: apply them together
            try:
                self.trainer.apply({k: read_link_field(k, fields.pop(k)) for k in ("n_head", "n_embd")})
            except Exception as err:  # noqa: BLE001 - named, the rest still apply
                problems.append(f"the link's heads and channels do not fit together ({err}) — they stay "
                                f"{self.trainer.cfg.n_head} and {self.trainer.cfg.n_embd}")
        return problems + K.apply_fields(self.trainer, fields, read=read_link_field, config=TextConfig)

    def apply_page_message(self, msg) -> bool:
        t = self.trainer
        if isinstance(msg, TextSetMsg):
            t.apply(msg.config)
            self._publish_state()
        elif isinstance(msg, TextMsg):
            self.playing = False
            self._cut = t.set_text(msg.text)
            self._publish_state()
            self._cut = None
            what = "your text" if t.custom else "the default text"
            self.send({"type": "notice", "message": f"training on {what}: {len(t.ids):,} characters, "
                       f"{len(t.vocab)} in the vocabulary{self._cut_notice(msg.text)}"})
        elif isinstance(msg, CursorMsg):
            t.set_cursor(msg.position)
        elif isinstance(msg, SampleMsg):
            t.new_sample()
        elif isinstance(msg, ExplainWeightMsg):
            from .textstep import explain_weight
            self.send(explain_weight(t, msg.layer, msg.head, msg.i, msg.j))
            return False
        return True

    @staticmethod
    def _cut_notice(text) -> str:
        if text is None or len(text) <= TextLimits.max_chars:
            return ""
        return (f" (your text has {len(text):,} characters: the Text page keeps at most "
                f"{TextLimits.max_chars:,}, so it trains on the first {TextLimits.max_chars:,})")

    def _export(self) -> dict:
        t = self.trainer
        name = f"glassnet-playground-{t.cfg.model}.safetensors"
        return X.export_message(t.model, name, f"load_playground_{t.cfg.model}.py",
                                X.gpt_torch_code(t.cfg, t.vocab.chars, name))
