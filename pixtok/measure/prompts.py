"""What each vision-language model family is asked, and how its answers are read.

A model name (`Qwen/Qwen2.5-VL-7B-Instruct`, `deepseek-ai/DeepSeek-OCR`) picks a `ModelFamily`:
the OCR prompt its own card, cookbook or serving recipe uses (each with its source), the order
of the image and text parts, and the pixtok encoder preset that counts its image tokens.
`clean_answer` removes the markup some families wrap their text in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelFamily:
    """How a model family is asked to read a page, and which pixtok preset counts its image tokens.

    `pattern` is searched in the lower-cased model name; `image_first` orders the message parts as
    the family's own examples do; `encoder` names the preset whose count is set beside the server's
    `prompt_tokens` (None where pixtok has none); `front_matter` strips a leading YAML block from
    answers (olmOCR returns one); `source` says where the prompt and the order come from.
    """

    name: str
    pattern: str
    prompt: str
    image_first: bool
    encoder: str | None
    source: str
    front_matter: bool = False


#: The prompt for models whose family has no published OCR prompt: the one Qwen2.5-VL's own OCR
#: cookbook uses for full-page English OCR (QwenLM/Qwen2.5-VL cookbooks/ocr.ipynb).
GENERIC_PROMPT = "Read all the text in the image."

#: The olmOCR-2 page prompt (allenai/olmocr olmocr/prompts/prompts.py,
#: build_no_anchoring_v4_yaml_prompt, sent by olmocr/pipeline.py build_page_query).
OLMOCR_PROMPT = (
    "Attached is one page of a document that you must process. "
    "Just return the plain text representation of this document as if you were reading it naturally. "
    "Convert equations to LateX and tables to HTML.\n"
    "If there are any figures or charts, label them with the following markdown syntax "
    "![Alt text describing the contents of the figure](page_startx_starty_width_height.png)\n"
    "Return your output as markdown, with a front matter section on top specifying values for the "
    "primary_language, is_rotation_valid, rotation_correction, is_table, and is_diagram parameters."
)

#: First match wins: more specific names come first.
FAMILIES: tuple[ModelFamily, ...] = (
    ModelFamily(
        "deepseek-ocr-2",
        r"deepseek-ocr-?2",
        "Free OCR.",
        True,
        None,
        "SGLang's DeepSeek-OCR page (docs/basic_usage/deepseek_ocr.md): the model card's "
        "'<image>\\nFree OCR.'; DeepEncoder V2 has no pixtok preset",
    ),
    ModelFamily(
        "deepseek-ocr",
        r"deepseek-ocr",
        "Free OCR.",
        True,
        "deepseek-ocr-gundam",
        "deepseek-ai/DeepSeek-OCR config.py ('without layouts: <image>\\nFree OCR.', the prompt of "
        "the paper's Fox study, arXiv 2510.18234 §4.1); vLLM recipe DeepSeek-OCR.md, online "
        "serving: the image part, then the text 'Free OCR.' (the image part is the <image>); "
        "vLLM's DeepseekOCRProcessor defaults to Gundam (BASE_SIZE 1024, IMAGE_SIZE 640, "
        "CROP_MODE True, MAX_CROPS 6)",
    ),
    ModelFamily(
        "olmocr",
        r"olmocr",
        OLMOCR_PROMPT,
        False,
        "qwen2.5-vl",
        "allenai/olmocr prompts.py build_no_anchoring_v4_yaml_prompt and pipeline.py "
        "build_page_query (text, then image); olmOCR-2 and olmOCR-7B-0725 are Qwen2.5-VL-7B "
        "fine-tunes",
        front_matter=True,
    ),
    ModelFamily(
        "paddleocr-vl",
        r"paddleocr-vl",
        "OCR:",
        True,
        None,
        "vLLM recipe PaddleOCR-VL.md (TASKS['ocr'] = 'OCR:', image part first); its NaViT "
        "encoder has no pixtok preset",
    ),
    ModelFamily(
        "qwen2.5-vl",
        r"qwen2[._]?5-?vl",
        GENERIC_PROMPT,
        False,
        "qwen2.5-vl",
        "QwenLM/Qwen2.5-VL cookbooks/ocr.ipynb, full-page OCR for English text (text, then image)",
    ),
    ModelFamily(
        "qwen2-vl",
        r"qwen2-?vl",
        GENERIC_PROMPT,
        False,
        "qwen2-vl",
        "Qwen2.5-VL's OCR cookbook prompt (Qwen2-VL's card gives no OCR prompt)",
    ),
    ModelFamily(
        "glm-4.1v",
        r"glm-?4\.1v|glyph",
        GENERIC_PROMPT,
        False,
        "glm-4.1v",
        "no OCR prompt in the GLM-4.1V-9B-Thinking or Glyph cards: Qwen2.5-VL's OCR cookbook "
        "prompt; answers' <think> and <answer> markup is removed",
    ),
    ModelFamily(
        "internvl2.5",
        r"internvl2[._]5",
        GENERIC_PROMPT,
        False,
        "internvl2.5",
        "no OCR prompt in the InternVL2.5 card: Qwen2.5-VL's OCR cookbook prompt",
    ),
    ModelFamily(
        "pixtral",
        r"pixtral",
        GENERIC_PROMPT,
        True,
        "pixtral",
        "no OCR prompt in the Pixtral card: Qwen2.5-VL's OCR cookbook prompt",
    ),
)


def model_family(model: str) -> ModelFamily | None:
    """The family a served model name belongs to (`Qwen/Qwen2.5-VL-7B-Instruct` → qwen2.5-vl), or None."""
    name = model.strip().lower()
    for family in FAMILIES:
        if re.search(family.pattern, name):
            return family
    return None


_THINK = re.compile(r"<think>.*?</think>", re.S)
_TAGS = re.compile(r"</?answer>|<\|begin_of_box\|>|<\|end_of_box\|>|<｜end▁of▁sentence｜>")
_FENCE = re.compile(r"^```[\w-]*\n(.*?)\n?```$", re.S)
_FRONT_MATTER = re.compile(r"^---\n.*?\n---\n?", re.S)


def clean_answer(text: str, family: ModelFamily | None = None) -> str:
    """The text a model read, without the markup around it.

    Removed everywhere: a reasoning block `<think>…</think>` and the `<answer>`/box tags
    (GLM-4.1V-Thinking), DeepSeek's end-of-sentence token (sent when a server keeps special
    tokens), and one code fence wrapping the whole answer. For olmOCR, its YAML front matter.
    """
    text = _TAGS.sub("", _THINK.sub("", text)).strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if family is not None and family.front_matter:
        text = _FRONT_MATTER.sub("", text, count=1).strip()
    return text


__all__ = [
    "FAMILIES",
    "GENERIC_PROMPT",
    "OLMOCR_PROMPT",
    "ModelFamily",
    "clean_answer",
    "model_family",
]
