"""Build notebooks/01_input_pipeline.ipynb (then run tools/execute_notebooks.py on it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbkit import (  # noqa: E402
    PAPER,
    PIX2PIX,
    TFDATA,
    TUTORIAL,
    checked,
    code,
    exercise,
    footer,
    header,
    md,
    profile,
    save,
    setup,
)

NAME = "01_input_pipeline"

cells = [
    *header(
        NAME,
        "01 · The input pipeline: two domains, no pairs",
        [
            "why CycleGAN needs no paired images, and what X, Y, G and F stand for;",
            "the tutorial's preprocessing: normalise, random jitter (resize, crop, flip);",
            "the `tf.data` pipeline that feeds training: `map`, `cache`, `shuffle`, `batch`;",
            "why the place of `cache()` decides whether the jitter is random at all;",
            "where else the images can come from: TensorFlow Datasets or your own folders.",
        ],
    ),
    *setup(),
    *profile(),
    md(
        "unpaired",
        r"""
        ## Two domains, no pairs

        pix2pix, CycleGAN's predecessor, learns from **pairs**: a sketch and the photo drawn
        from it, a map and its aerial view. For most translations such pairs do not exist:
        nobody has photographed the same horse, in the same pose on the same meadow, as a
        zebra. CycleGAN learns from two **unpaired collections** instead, one of each
        domain. The tutorial names photo enhancement, image colourisation and style transfer
        as uses; the paper adds object transfiguration (horse ↔ zebra, apple ↔ orange) and
        season transfer (summer ↔ winter).

        The lesson uses the paper's names throughout:

        | | |
        | --- | --- |
        | **X** | the first domain: horses (the dataset's folders `trainA`, `testA`) |
        | **Y** | the second domain: zebras (`trainB`, `testB`) |
        | **G** | the generator that translates X → Y |
        | **F** | the generator that translates Y → X |
        | **D_X**, **D_Y** | the discriminators that judge whether an image is a real X, a real Y |

        The tutorial loads horse2zebra from TensorFlow Datasets. This cell runs its code when
        the profile uses tfds (it downloads 111 MB); offline, the lesson's built-in toy
        dataset takes its place, with the same four splits.
        """,
    ),
    code(
        "tfds-load",
        """
        if config.dataset.startswith("tfds:"):
            import tensorflow_datasets as tfds

            dataset, metadata = tfds.load("cycle_gan/horse2zebra", with_info=True, as_supervised=True)
            train_horses, train_zebras = dataset["trainA"], dataset["trainB"]
            test_horses, test_zebras = dataset["testA"], dataset["testB"]
        else:
            print(f"dataset {config.dataset!r}: the built-in toy horse2zebra, made on the spot")
        """,
    ),
    md(
        "raw-source",
        """
        `data.raw_source(config)` gives the same four splits for any source (the toy, tfds or
        a folder): datasets of unprocessed `uint8` images of shape (height, width, 3). tfds'
        `as_supervised=True` adds a label to each image, which CycleGAN never uses; the
        package drops it.
        """,
    ),
    code(
        "raw",
        """
        from cyclegan_lesson import data, exercises, viz

        raw, counts = data.raw_source(config)
        train_horses, train_zebras = raw["trainA"], raw["trainB"]
        test_horses, test_zebras = raw["testA"], raw["testB"]
        print(counts)
        print(train_horses.element_spec)
        """,
    ),
    code(
        "samples",
        """
        horses = [image.numpy() for image in train_horses.take(5)]
        zebras = [image.numpy() for image in train_zebras.take(5)]
        # image_grid shows images in [-1, 1]: top row X (horses), bottom row Y (zebras)
        rows = [[data.normalize(h) for h in horses], [data.normalize(z) for z in zebras]]
        viz.image_grid(rows, size=2)
        """,
    ),
    md(
        "no-pairs",
        """
        Look along a column: the horse and the zebra come from different scenes, in different
        places and sizes. Nothing tells the model which zebra belongs to which horse. (The
        toy dataset can also draw the *same* scene both ways; notebook 05 uses those pairs to
        measure the translation, never to train.)

        ## Preprocessing, the tutorial's way

        The tutorial's settings, with this profile's image size:
        """,
    ),
    code(
        "constants",
        """
        AUTOTUNE = tf.data.AUTOTUNE
        BUFFER_SIZE = 1000
        BATCH_SIZE = config.batch_size  # the tutorial: 1
        IMG_WIDTH = IMG_HEIGHT = config.image_size  # the tutorial: 256
        JITTER_SIZE = config.jitter_size  # the tutorial: 286, about 12% more than 256
        print(BATCH_SIZE, IMG_HEIGHT, JITTER_SIZE)
        """,
    ),
    md(
        "normalize-intro",
        """
        Generators end in `tanh`, whose outputs lie in [-1, 1], so the inputs are scaled to
        the same range: pixel 0 becomes -1, pixel 255 becomes 1.
        """,
    ),
    code(
        "normalize",
        """
        def normalize(image):
            image = tf.cast(image, tf.float32)
            image = (image / 127.5) - 1
            return image
        """,
    ),
    md(
        "normalize-same",
        """
        The package's `data.normalize` is the same function: the notebook and the package
        must not drift apart, so a cell checks it (here, and wherever the lesson writes out
        code the package also has).
        """,
    ),
    checked(
        "normalize-check",
        """
        pixels = tf.constant([0, 51, 127.5, 204, 255])
        print(normalize(pixels).numpy())
        print("same as the package:", np.array_equal(normalize(pixels), data.normalize(pixels)))
        """,
    ),
    md(
        "jitter-intro",
        """
        **Random jitter** fights over-fitting: every time an image is used for training, it
        is

        1. resized to `JITTER_SIZE` × `JITTER_SIZE` with nearest-neighbour interpolation
           (286 for 256-pixel crops),
        2. randomly cropped back to `IMG_HEIGHT` × `IMG_WIDTH`,
        3. randomly flipped left to right.

        So the network never sees exactly the same picture twice. Nearest-neighbour copies
        pixels instead of blending them, and it is the fastest resize. The random crop is the
        tutorial's first function:
        """,
    ),
    code(
        "random-crop",
        """
        def random_crop(image):
            cropped_image = tf.image.random_crop(image, size=[IMG_HEIGHT, IMG_WIDTH, 3])
            return cropped_image
        """,
    ),
    *exercise(
        "ex-jitter",
        """
        ### Exercise 1: write `random_jitter`

        Complete the function: resize `image` to `jitter_size` × `jitter_size` with
        `tf.image.resize(..., method="nearest")`, crop a random `size` × `size` × 3 piece
        (`tf.image.random_crop`), then flip it left-right at random
        (`tf.image.random_flip_left_right`). The sizes are arguments (defaulting to the
        tutorial's globals), so the check can try your function on small images of its own.
        """,
        """
        def random_jitter(image, size=IMG_HEIGHT, jitter_size=JITTER_SIZE):
            # your code here: resize, random crop, random flip
            ...
        """,
        "exercises.check_random_jitter(random_jitter)",
        """
        def random_jitter(image, size=IMG_HEIGHT, jitter_size=JITTER_SIZE):
            # resizing to jitter_size x jitter_size x 3
            image = tf.image.resize(image, [jitter_size, jitter_size], method="nearest")
            # randomly cropping to size x size x 3
            image = tf.image.random_crop(image, size=[size, size, 3])
            # random mirroring
            image = tf.image.random_flip_left_right(image)
            return image
        """,
    ),
    md(
        "jitter-picture",
        """
        The same horse, jittered four times. Look at the borders: each crop starts somewhere
        else, and some are mirrored. (Your `random_jitter` takes the sizes as arguments, so it
        calls `tf.image.random_crop` with them rather than the tutorial's `random_crop`,
        which always crops to the global `IMG_HEIGHT` × `IMG_WIDTH`.)
        """,
    ),
    code(
        "jitter-show",
        """
        horse = horses[0]
        viz.image_grid(
            [[normalize(horse)] + [normalize(random_jitter(horse)) for _ in range(4)]],
            titles=["original", "jitter 1", "jitter 2", "jitter 3", "jitter 4"],
            size=2,
        )
        """,
    ),
    md(
        "preprocess",
        """
        The tutorial wraps the steps into one function per split. Test images are only
        normalised: tfds' horse2zebra images are 256 × 256 already, the tutorial's size.
        (The package's test pipeline also resizes them to `image_size`, so any size works.
        The tfds version takes `(image, label)`; the package's sources give the image
        alone.)
        """,
    ),
    code(
        "preprocess-fns",
        """
        def preprocess_image_train(image):
            image = random_jitter(image)
            image = normalize(image)
            return image


        def preprocess_image_test(image):
            image = normalize(image)
            return image
        """,
    ),
    md(
        "pipeline",
        """
        ## The pipeline: `map`, `cache`, `shuffle`, `batch`

        The tutorial builds each domain's training data in one line:

        - `map(preprocess_image_train, num_parallel_calls=AUTOTUNE)` preprocesses images on
          several threads;
        - `cache()` keeps the elements in memory after their first pass, so later epochs skip
          the reading and decoding;
        - `shuffle(BUFFER_SIZE)` draws elements at random from a buffer of 1000;
        - `batch(BATCH_SIZE)` stacks them into batches.
        """,
    ),
    code(
        "seed-pipeline",
        """
        seed_train_horses = (
            train_horses.map(preprocess_image_train, num_parallel_calls=AUTOTUNE)
            .cache()
            .shuffle(BUFFER_SIZE)
            .batch(BATCH_SIZE)
        )
        sample_horse = next(iter(seed_train_horses))
        print(sample_horse.shape, sample_horse.dtype)
        """,
    ),
    md(
        "cache-bug",
        """
        ### Where the cache goes decides whether the jitter is random

        `cache()` stores whatever reaches it in the first epoch and replays it afterwards. In
        the tutorial's line the cache comes **after** `map(preprocess_image_train)`, so it
        stores the jittered images: every later epoch replays the first epoch's crops and
        flips, and the random jitter is random only once. Watch one horse go through three
        epochs:
        """,
    ),
    code(
        "cache-bug-demo",
        """
        one_horse = train_horses.take(1)
        cached_after = one_horse.map(preprocess_image_train).cache()
        epochs = [next(iter(cached_after)).numpy() for _ in range(3)]
        print("the same crop in every epoch:", all(np.array_equal(epochs[0], e) for e in epochs))
        viz.image_grid([epochs], titles=["epoch 1", "epoch 2", "epoch 3"], size=2)
        """,
    ),
    md(
        "cache-fix",
        """
        The fix is to split the preprocessing at the cache: what gives the same result every
        time (reading, the resize) goes before it, what must change every epoch (the crop
        and the flip) after it. Two helpers for the two halves:
        """,
    ),
    code(
        "halves",
        """
        def resize_for_jitter(image):
            # deterministic: the same every epoch, so it may be cached
            return tf.image.resize(image, [JITTER_SIZE, JITTER_SIZE], method="nearest")


        def crop_flip_normalize(image):
            # random: must run again every epoch
            image = tf.image.random_crop(image, size=[IMG_HEIGHT, IMG_WIDTH, 3])
            image = tf.image.random_flip_left_right(image)
            return normalize(image)
        """,
    ),
    *exercise(
        "ex-pipeline",
        """
        ### Exercise 2: put `cache()` in the right place

        Build one domain's training pipeline from `raw` (a dataset of uint8 images) with
        `resize_for_jitter`, `crop_flip_normalize`, `cache()`, `shuffle(BUFFER_SIZE)` and
        `batch(BATCH_SIZE)`, in the order that reads each image once *and* jitters it anew
        every epoch. The check counts how often your pipeline reads its source and compares
        two epochs.
        """,
        """
        def make_train_pipeline(raw):
            # your code here: return raw.map(...)...
            ...
        """,
        "exercises.check_train_pipeline(make_train_pipeline)",
        """
        def make_train_pipeline(raw):
            return (
                raw.map(resize_for_jitter, num_parallel_calls=AUTOTUNE)
                .cache()
                .map(crop_flip_normalize, num_parallel_calls=AUTOTUNE)
                .shuffle(BUFFER_SIZE)
                .batch(BATCH_SIZE)
            )
        """,
    ),
    md(
        "cache-fixed-demo",
        """
        The same horse through the fixed pipeline: a new crop each epoch.

        (One more trap of the same kind: after `tf.random.set_seed(...)`, every new pass over
        a dataset restarts its random ops from the same seed, so the jitter repeats each
        epoch even with the cache in the right place. The package avoids both traps with
        *stateless* random ops, seeded per epoch.)
        """,
    ),
    code(
        "cache-fixed-show",
        """
        cached_before = one_horse.map(resize_for_jitter).cache().map(crop_flip_normalize)
        epochs = [next(iter(cached_before)).numpy() for _ in range(3)]
        print("the same crop in every epoch:", all(np.array_equal(epochs[0], e) for e in epochs))
        viz.image_grid([epochs], titles=["epoch 1", "epoch 2", "epoch 3"], size=2)
        """,
    ),
    md(
        "package-pipeline",
        """
        ## The package's pipeline

        `data.load_domains(config)` builds exactly this for both domains: the resize and the
        cache in `data.cache_for_training`, the shuffle, crop, flip, normalisation and
        batching in `data.jitter_batches`. Its stateless random ops make a run repeatable:
        resumed, it sees the very same data order as if it had never stopped.
        """,
    ),
    code(
        "package-source",
        """
        import inspect

        print(inspect.getsource(data.cache_for_training))
        """,
    ),
    md(
        "train-pairs",
        """
        The tutorial trains on `tf.data.Dataset.zip((train_horses, train_zebras))`: one batch
        of horses and one of zebras per step, never a pair of the same scene.
        `domains.train_pairs(epoch)` is that zip for one epoch:
        """,
    ),
    code(
        "domains",
        """
        domains = data.load_domains(config)
        real_x, real_y = next(iter(domains.train_pairs(epoch=0)))
        print("x:", real_x.shape, real_x.dtype, "y:", real_y.shape, real_y.dtype)
        low, high = float(tf.reduce_min(real_x)), float(tf.reduce_max(real_x))
        print(f"pixel range: [{low:.2f}, {high:.2f}]")
        print("steps in an epoch:", domains.steps_per_epoch)
        """,
    ),
    md(
        "other-data",
        """
        ## Other data

        `config.dataset` picks the source, and nothing else in the lesson changes:

        - `"toy"`: the built-in dataset, drawn by code, so everything runs offline;
        - `"tfds:cycle_gan/horse2zebra"`, or any other configuration of tfds' `cycle_gan`:
        """,
    ),
    checked("tfds-configs", "print(data.TFDS_CONFIGS)"),
    md(
        "folders",
        """
        - a folder holding `trainA/` and `trainB/` (and `testA/`, `testB/` if you have them)
          with your own images, e.g. `config.replace(dataset="my_photos")`. Every file is
          checked once, and unreadable ones are listed by name.

        `cyclegan-lesson toy-dataset DIR` writes the toy dataset in that layout, a handy
        template for your own.
        """,
    ),
    *footer(
        [
            "CycleGAN learns from two unpaired collections, X (horses) and Y (zebras), with "
            "G: X → Y and F: Y → X.",
            "Images are normalised to [-1, 1] to match the generators' `tanh`.",
            "Random jitter (nearest resize to 286, random 256 crop, random flip) makes every "
            "epoch look a little different.",
            "`cache()` replays what it stored: put it after the deterministic steps and before "
            "the random ones, or the jitter is drawn only once.",
            "`config.dataset` switches between the toy, tfds and your own folders.",
        ],
        """
        Each of these runs as written, after the cells above.

        1. How many different jitters does one horse get? Count the different results of
           100 draws, and compare with the number of possible crops and flips:

           ```python
           draws = {random_jitter(horse).numpy().tobytes() for _ in range(100)}
           places = (JITTER_SIZE - IMG_HEIGHT + 1) ** 2
           print(len(draws), "different of 100;", 2 * places, "crops and flips possible")
           ```

        2. What is left of the jitter when the resize does not enlarge the image?

           ```python
           no_resize = [random_jitter(horse, jitter_size=IMG_HEIGHT) for _ in range(20)]
           same = sum(np.array_equal(image, horse) for image in no_resize)
           print("unchanged in", same, "of 20 draws: only the flip is left")
           ```

        3. How much does the cache save? Time two passes over your pipeline:

           ```python
           import time

           pipeline = make_train_pipeline(train_horses)
           for epoch in (1, 2):
               start = time.perf_counter()
               batches = sum(1 for _ in pipeline)
               print(f"pass {epoch}: {batches} batches in {time.perf_counter() - start:.2f} s")
           ```

        4. Write the toy dataset to a folder, laid out as your own photos would be (the
           command line does the same: `cyclegan-lesson toy-dataset my_toy`), and load it
           back as a folder dataset:

           ```python
           from cyclegan_lesson import toy

           toy.write_dataset("my_toy", size=64)
           folder_raw, folder_counts = data.raw_source(config.replace(dataset="my_toy"))
           print(folder_counts)
           ```
        """,
        [
            PAPER,
            TUTORIAL,
            PIX2PIX,
            TFDATA,
            "TensorFlow Datasets' `cycle_gan` catalogue (all ten dataset pairs): "
            "https://www.tensorflow.org/datasets/catalog/cycle_gan",
        ],
        "02_models",
    ),
]

if __name__ == "__main__":
    print(save(NAME, cells))
