"""Reference counts of vision encoders from transformers' own image processors, run offline.

Not part of the test suite (it needs transformers, and torch for Phi-4): it wrote
processor_counts.json beside it, which tests/test_encoder_references.py compares pixtok with.
Run in a separate environment:

    python -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install transformers==5.23.0 torch==2.13.0 pillow numpy
    /tmp/refvenv/bin/python tests/reference/make_processor_counts.py > tests/reference/processor_counts.json

Each processor is built from its class with explicit parameters (the checkpoint's
preprocessor_config.json values, named in processor_counts.json); nothing is downloaded. Images are
white RGB arrays of each size: the counts depend on the size only.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import random
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from transformers.image_utils import SizeDict
from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil
from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil
from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil
from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
from transformers.models.llava_next.processing_llava_next import LlavaNextProcessor
from transformers.models.mllama.image_processing_pil_mllama import MllamaImageProcessorPil
from transformers.models.paddleocr_vl.image_processing_pil_paddleocr_vl import PaddleOCRVLImageProcessorPil
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
from transformers.models.smolvlm.image_processing_pil_smolvlm import SmolVLMImageProcessorPil

#: The page sizes of the request: A4 at 72 and 150 dpi, letter at 72 and 150 dpi, 1024², 1280×720,
#: 640×480, 336², 4000×200 (and its transpose), 2000×3000, and a one-glyph page (26×31).
PAGES = [
    (595, 842),
    (1240, 1754),
    (612, 792),
    (1275, 1650),
    (1024, 1024),
    (1280, 720),
    (640, 480),
    (336, 336),
    (4000, 200),
    (200, 4000),
    (2000, 3000),
    (26, 31),
]
_rng = random.Random(13)
#: Further sizes drawn once with a fixed seed: ordinary pages, and narrow strips.
EXTRA = [(_rng.randint(16, 3000), _rng.randint(16, 3000)) for _ in range(30)] + [
    (_rng.randint(10, 120), _rng.randint(300, 2500)) for _ in range(6)
]


def white(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 255, dtype=np.uint8)


def run(sizes, fn):
    counts = {}
    for width, height in sizes:
        try:
            counts[f"{width}x{height}"] = fn(width, height)
        except Exception as exc:  # a size the processor refuses is recorded as such
            counts[f"{width}x{height}"] = {"error": f"{type(exc).__name__}: {exc}"}
    return counts


def grid_counter(processor, merge: int):
    def fn(width, height):
        t, h, w = (
            int(x) for x in processor(images=[white(width, height)], return_tensors="np")["image_grid_thw"][0]
        )
        return {"tokens": t * h * w // merge**2, "grid": [h, w]}

    return fn


def presets():
    """(preset, processor class, parameters, counting function) for every checked preset."""
    out = []
    for name, source, params in (
        (
            "qwen2-vl",
            "Qwen/Qwen2-VL-7B-Instruct",
            dict(min_pixels=3136, max_pixels=12845056, patch_size=14, merge_size=2),
        ),
        (
            "qwen2.5-vl",
            "Qwen/Qwen2.5-VL-7B-Instruct",
            dict(min_pixels=3136, max_pixels=12845056, patch_size=14, merge_size=2),
        ),
        (
            "qwen3-vl",
            "Qwen/Qwen3-VL-8B-Instruct",
            dict(size={"shortest_edge": 65536, "longest_edge": 16777216}, patch_size=16, merge_size=2),
        ),
    ):
        out.append(
            (
                name,
                "Qwen2VLImageProcessorPil",
                source,
                params,
                grid_counter(Qwen2VLImageProcessorPil(**params), 2),
            )
        )
    params = dict(
        size={"shortest_edge": 12544, "longest_edge": 47040000},
        patch_size=14,
        merge_size=2,
        temporal_patch_size=2,
    )
    out.append(
        (
            "glm-4.1v",
            "Glm4vImageProcessorPil",
            "zai-org/GLM-4.1V-9B-Thinking",
            params,
            grid_counter(Glm4vImageProcessorPil(**params), 2),
        )
    )
    params = dict(min_pixels=112896, max_pixels=1003520, patch_size=14, merge_size=2, temporal_patch_size=1)
    out.append(
        (
            "paddleocr-vl",
            "PaddleOCRVLImageProcessorPil",
            "PaddlePaddle/PaddleOCR-VL",
            params,
            grid_counter(PaddleOCRVLImageProcessorPil(**params), 2),
        )
    )

    for name, pas in (("gemma-3", False), ("gemma-3-pan-and-scan", True)):
        kwargs = dict(
            do_pan_and_scan=pas,
            pan_and_scan_min_crop_size=256,
            pan_and_scan_max_num_crops=4,
            pan_and_scan_min_ratio_to_activate=1.2,
        )
        processor = Gemma3ImageProcessorPil(size={"height": 896, "width": 896})

        def gemma(width, height, processor=processor, kwargs=kwargs):
            result = processor(images=[white(width, height)], return_tensors="np", **kwargs)
            return {"views": int(result["pixel_values"].shape[0]), "crops": int(result["num_crops"][0])}

        out.append(
            (
                name,
                "Gemma3ImageProcessorPil",
                "google/gemma-3-4b-it; Gemma3Processor defaults",
                {"size": {"height": 896, "width": 896}, **kwargs},
                gemma,
            )
        )

    params = dict(size={"height": 560, "width": 560}, max_image_tiles=4)
    mllama = MllamaImageProcessorPil(**params)

    def llama(width, height):
        return {"tiles": int(mllama(images=[[white(width, height)]], return_tensors="np")["num_tiles"][0][0])}

    out.append(
        (
            "llama-3.2-vision",
            "MllamaImageProcessorPil",
            "meta-llama/Llama-3.2-11B-Vision-Instruct",
            params,
            llama,
        )
    )

    params = dict(
        size={"shortest_edge": 336},
        crop_size={"height": 336, "width": 336},
        image_grid_pinpoints=[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
    )
    llava_proc = LlavaNextImageProcessorPil(**params)
    shim = types.SimpleNamespace(image_processor=llava_proc, patch_size=14, num_additional_image_tokens=1)
    shim._get_unpadded_features = types.MethodType(LlavaNextProcessor._get_unpadded_features, shim)

    def llava(width, height):
        views = int(llava_proc(images=[white(width, height)], return_tensors="np")["pixel_values"].shape[1])
        # the processor's count, less the CLS the "default" feature strategy drops
        placeholders = LlavaNextProcessor._get_number_of_features(shim, height, width, 336, 336) - 1
        return {"placeholder_tokens": placeholders, "views": views}

    out.append(
        (
            "llava-next",
            "LlavaNextImageProcessorPil + LlavaNextProcessor._get_number_of_features",
            "llava-hf/llava-v1.6-mistral-7b-hf (patch_size 14, num_additional_image_tokens 1, "
            "vision_feature_select_strategy default)",
            params,
            llava,
        )
    )

    for name, cls, source, params in (
        (
            "idefics3",
            Idefics3ImageProcessorPil,
            "HuggingFaceM4/Idefics3-8B-Llama3",
            dict(size={"longest_edge": 1456}, max_image_size={"longest_edge": 364}, do_image_splitting=True),
        ),
        (
            "smolvlm",
            Idefics3ImageProcessorPil,
            "HuggingFaceTB/SmolVLM-Instruct",
            dict(size={"longest_edge": 1536}, max_image_size={"longest_edge": 384}, do_image_splitting=True),
        ),
        (
            "smolvlm2",
            SmolVLMImageProcessorPil,
            "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
            dict(size={"longest_edge": 2048}, max_image_size={"longest_edge": 512}, do_image_splitting=True),
        ),
    ):
        processor = cls(**params)

        def idefics(width, height, processor=processor):
            result = processor(images=[[white(width, height)]], return_tensors="np", return_row_col_info=True)
            return {
                "views": int(result["pixel_values"].shape[1]),
                "rows": int(result["rows"][0][0]),
                "cols": int(result["cols"][0][0]),
            }

        out.append((name, cls.__name__, source, params, idefics))

    params = dict(size={"height": 448, "width": 448}, crop_to_patches=True, min_patches=1, max_patches=12)
    got = GotOcr2ImageProcessorPil(**params)

    def internvl(width, height):
        return {"views": int(got(images=[white(width, height)], return_tensors="np")["num_patches"][0])}

    for name in ("internvl2.5", "internvl3"):
        out.append((name, "GotOcr2ImageProcessorPil", "OpenGVLab/InternVL3-8B-hf", params, internvl))
    out.append(
        (
            "phi-4-multimodal",
            "Phi4MultimodalImageProcessor._preprocess (shape-only resize/pad)",
            "microsoft/Phi-4-multimodal-instruct",
            dict(size=448, patch_size=14, dynamic_hd=36),
            phi4_counter(),
        )
    )
    return out


def phi4_counter():
    """Phi-4-multimodal's processor is torchvision-only; its token count depends on shapes alone,
    so its own `_preprocess` runs here with shape-only stand-ins for torchvision's resize and pad."""

    def resize(image, size, *args, **kwargs):
        return torch.zeros((*image.shape[:-2], int(size[0]), int(size[1])), dtype=image.dtype)

    def pad(image, padding, fill=None, **kwargs):
        left, top, right, bottom = padding
        return F.pad(image, (left, right, top, bottom))

    modules = {
        name: types.ModuleType(name)
        for name in (
            "torchvision",
            "torchvision.transforms",
            "torchvision.transforms.v2",
            "torchvision.transforms.v2.functional",
        )
    }
    modules["torchvision.transforms.v2.functional"].resize = resize
    modules["torchvision.transforms.v2.functional"].pad = pad
    sys.modules.update(modules)
    path = (
        pathlib.Path(transformers.__file__).parent
        / "models/phi4_multimodal/image_processing_phi4_multimodal.py"
    )
    spec = importlib.util.spec_from_file_location("transformers.models.phi4_multimodal._direct", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    cls = module.Phi4MultimodalImageProcessor
    shim = types.SimpleNamespace()
    for name in (
        "dynamic_preprocess",
        "find_closest_aspect_ratio",
        "pad_to_max_num_crops",
        "pad_mask_to_max_num_crops",
    ):
        setattr(shim, name, types.MethodType(getattr(cls, name), shim))
    shim.rescale_and_normalize = lambda image, *a, **k: image
    shim.resize = lambda image, size, **k: resize(image, (size.height, size.width))

    def fn(width, height):
        result = cls._preprocess(
            shim,
            [torch.zeros((3, height, width))],
            size=SizeDict(height=448, width=448),
            interpolation=None,
            do_resize=True,
            patch_size=14,
            dynamic_hd=36,
            do_rescale=False,
            rescale_factor=1,
            do_normalize=False,
            image_mean=None,
            image_std=None,
            return_tensors=None,
            resample=None,
        )
        return {
            "num_img_tokens": int(result["num_img_tokens"][0]),
            "views": int(result["image_attention_mask"].shape[1]),
        }

    return fn


def main() -> None:
    document = {
        "made_with": {
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "pages": [list(s) for s in PAGES],
        "extra_sizes": [list(s) for s in EXTRA],
        "presets": {},
    }
    for name, cls, source, params, fn in presets():
        document["presets"][name] = {
            "class": cls,
            "checkpoint": source,
            "parameters": params,
            "counts": run(PAGES + EXTRA, fn),
        }
    json.dump(document, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
