"""Build notebooks/02_models.ipynb (then run tools/execute_notebooks.py on it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbkit import (  # noqa: E402
    INSTANCE_NORM,
    PAPER,
    PIX2PIX,
    RESNET_GEN,
    TUTORIAL,
    UNET,
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

NAME = "02_models"

# Not in nbkit: the pix2pix module the seed imports, and the batch-norm paper it cites.
PIX2PIX_CODE = (
    "The seed's networks, `tensorflow_examples/models/pix2pix/pix2pix.py`: "
    "https://github.com/tensorflow/examples/blob/master/tensorflow_examples/models/pix2pix/pix2pix.py"
)
BATCH_NORM = (
    "Ioffe, Szegedy (2015), *Batch Normalization: Accelerating Deep Network Training by "
    "Reducing Internal Covariate Shift*: https://arxiv.org/abs/1502.03167"
)

cells = [
    *header(
        NAME,
        "02 · The models: two generators, two discriminators",
        [
            "the four networks of CycleGAN, G, F, D_X and D_Y, and what each one is for;",
            "instance normalisation, computed by hand on a tiny tensor, and why CycleGAN "
            "uses it instead of batch normalisation;",
            "pix2pix's `downsample` and `upsample` blocks, and the U-Net built from them, "
            "level by level, with its skip connections and its 1 × 1 bottleneck;",
            "the PatchGAN discriminator, and how to compute the 70 × 70 patch each of its "
            "outputs judges;",
            "the paper's ResNet generator, and what untrained networks produce.",
        ],
    ),
    *setup(),
    *profile(),
    md(
        "four-networks",
        """
        ## Four networks

        ![G and F translate between the domains; D_X and D_Y judge them](https://raw.githubusercontent.com/cyclegan-lesson/cyclegan-lesson/main/img/overview.png)

        CycleGAN trains four networks at once:

        - **G: X → Y** translates a horse into a zebra;
        - **F: Y → X** translates a zebra back into a horse;
        - **D_X** looks at an image of domain X and says whether it is a real horse or one
          that F made;
        - **D_Y** does the same for zebras: a real one, or G's work?

        Each generator tries to fool the discriminator of the domain it paints into; notebook
        03 writes down the losses that make them play that game. This notebook is about
        their shapes: what goes in, what comes out, and what happens in between.

        The tutorial does not write its networks: it imports them from pix2pix
        (`tensorflow_examples`). The package has the same networks in `cyclegan_lesson.models`,
        written block by block as pix2pix writes them. The tutorial names two differences from
        pix2pix's own models: CycleGAN normalises with **instance normalisation** rather than
        batch normalisation, and the paper's generator is a **ResNet**, where the tutorial
        keeps pix2pix's **U-Net** for simplicity. Both are below.
        """,
    ),
    code(
        "imports",
        """
        import inspect

        from cyclegan_lesson import data, exercises, models, viz
        from cyclegan_lesson.models import InstanceNormalization, count_params
        """,
    ),
    md(
        "instance-norm",
        """
        ## Instance normalisation, by hand

        A normalisation layer rescales what passes through it, so that the next layer sees
        values of a steady size. **Instance normalisation** (Ulyanov et al. 2016) does it per
        image and per channel: for every image of the batch and every channel, it takes the
        mean and the variance over the image's height and width, and maps that channel to
        mean 0 and variance 1,

        $$\\hat{x}_{nhwc} = \\frac{x_{nhwc} - \\mu_{nc}}{\\sqrt{\\sigma^2_{nc} + \\epsilon}},
        \\qquad \\mu_{nc} = \\operatorname{mean}_{h,w}\\, x_{nhwc},\\quad
        \\sigma^2_{nc} = \\operatorname{var}_{h,w}\\, x_{nhwc},$$

        then multiplies by a learned **scale** and adds a learned **offset**, one of each per
        channel. The ε (1e-5) only keeps a flat channel from dividing by zero.

        A tiny batch shows it best: two 3 × 3 images with two channels, the second image a
        brighter, higher-contrast copy of the first (3 × the first, plus 1).
        """,
    ),
    checked(
        "in-tensor",
        """
        channel_0 = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
        channel_1 = [[9.0, 9.0, 9.0], [9.0, 9.0, 9.0], [9.0, 9.0, 0.0]]
        image = tf.stack([channel_0, channel_1], axis=-1)  # (3, 3, 2): height, width, channels
        batch = tf.stack([image, 3.0 * image + 1.0])  # (2, 3, 3, 2): two images

        mean = tf.reduce_mean(batch, axis=[1, 2], keepdims=True)  # (2, 1, 1, 2)
        variance = tf.math.reduce_variance(batch, axis=[1, 2], keepdims=True)
        by_hand = (batch - mean) / tf.sqrt(variance + 1e-5)

        print("means, one per image and channel:    ", mean.numpy().reshape(2, 2).tolist())
        print("variances, one per image and channel:", variance.numpy().reshape(2, 2).tolist())
        print("image 1, channel 0, normalised:")
        print(by_hand[0, :, :, 0].numpy().round(3))
        """,
    ),
    md(
        "in-layer",
        """
        The package's `InstanceNormalization` layer is this formula. A fresh layer starts with
        its offset at 0 and its scale drawn near 1 (from N(1, 0.02), as pix2pix's); set to
        exactly 1, it must give the numbers computed by hand:
        """,
    ),
    checked(
        "in-check",
        """
        norm = InstanceNormalization()  # epsilon 1e-5
        norm.build(batch.shape)
        norm.scale.assign(tf.ones_like(norm.scale))
        print("scale", norm.scale.numpy(), " offset", norm.offset.numpy())
        same_as_by_hand = np.allclose(norm(batch), by_hand, atol=1e-5)
        print("the layer equals the hand computation:", same_as_by_hand)
        images_alike = np.allclose(by_hand[0], by_hand[1], atol=1e-4)
        print("both images normalised to the same values:", images_alike)
        """,
    ),
    md(
        "why-instance-norm",
        """
        The last line is the point. Instance norm throws away each image's own brightness and
        contrast, per channel, and the learned scale and offset then set the ones the network
        wants. Ulyanov et al. found that this is what made fast style transfer work: the
        style of the output should not depend on how bright or contrasted the input
        happened to be.

        **Batch normalisation** takes its mean and variance over the whole batch instead,
        mixing the images together:
        """,
    ),
    checked(
        "bn-mixes",
        """
        batch_norm = tf.keras.layers.BatchNormalization(epsilon=1e-5)
        mixed = batch_norm(batch, training=True)  # statistics over the batch, height and width
        images_alike = np.allclose(mixed[0], mixed[1], atol=1e-4)
        print("batch norm, the two images normalised alike:", images_alike)
        """,
    ),
    md(
        "why-not-bn",
        """
        So with batch norm each image is normalised by the statistics of whichever images
        share its batch. With the tutorial's batches of **one** image, batch norm computes in
        training exactly instance norm's numbers, but at test time it switches to running
        averages collected during training: the network is tested with another
        normalisation than the one it learned with. Instance norm does the same thing in
        training and at test time, for one image or for many (the demo profile trains on
        batches of 4): each image's style is its own. That is why the tutorial passes
        `norm_type='instancenorm'` to pix2pix, whose default is batch norm.
        """,
    ),
    md(
        "blocks",
        """
        ## The building blocks: `upsample` and `downsample`

        pix2pix builds both its networks from two small blocks. `upsample` doubles the height
        and width of a feature map: a **transposed convolution** with stride 2, a norm, a
        dropout in some blocks, and a ReLU. Here is the package's code, block for block
        pix2pix's (`_norm` returns `InstanceNormalization()` or
        `BatchNormalization()`, as `norm_type` says):
        """,
    ),
    code(
        "upsample-source",
        """
        print(inspect.getsource(models.upsample))
        """,
    ),
    md(
        "upsample-run",
        """
        One block, run on a 4 × 4 map of 3 channels: it comes out 8 × 8 with 8 channels. The
        transposed convolution holds 4 × 4 × 8 × 3 weights and no bias (the norm's offset
        plays that part); the norm adds a scale and an offset per channel.
        """,
    ),
    checked(
        "upsample-run-code",
        """
        block = models.upsample(8, 4, "instancenorm", apply_dropout=True)
        out = block(tf.zeros([1, 4, 4, 3]))
        print("in (1, 4, 4, 3), out", tuple(out.shape))
        for layer in block.layers:
            print(f"  {type(layer).__name__:<22} {count_params(layer):>4} parameters")
        """,
    ),
    md(
        "dropout-note",
        """
        Dropout(0.5) zeroes half of the values at random, in training only. pix2pix puts it
        in the first three upsample blocks of its U-Net, as the generator's only source of
        randomness; the authors' CycleGAN code trains without it, and so does this lesson's
        demo profile (`config.dropout_layers` says how many blocks keep it).

        `downsample` is `upsample`'s mirror image, and you can write it now.
        """,
    ),
    *exercise(
        "ex-downsample",
        """
        ### Exercise 1: write `downsample`

        Write the block that **halves** the height and width, as a `tf.keras.Sequential`:

        1. `tf.keras.layers.Conv2D(filters, size, strides=2, padding="same",
           kernel_initializer=tf.random_normal_initializer(0.0, 0.02), use_bias=False)`;
        2. `InstanceNormalization()`, but only when `apply_norm` is true (pix2pix leaves the
           norm out of each network's first block, which sees the image itself);
        3. `tf.keras.layers.LeakyReLU()`, which lets a little of the negative values through
           (Keras' default slope, 0.3; the authors' PyTorch code uses 0.2). No dropout.

        The check builds your block, compares its output shape and parameter count with the
        package's, then copies the package's weights into it and compares the outputs.
        """,
        """
        def my_downsample(filters, size, apply_norm=True):
            # your code here: return a tf.keras.Sequential
            ...
        """,
        "exercises.check_downsample(my_downsample)",
        """
        def my_downsample(filters, size, apply_norm=True):
            initializer = tf.random_normal_initializer(0.0, 0.02)
            block = tf.keras.Sequential()
            block.add(
                tf.keras.layers.Conv2D(
                    filters,
                    size,
                    strides=2,
                    padding="same",
                    kernel_initializer=initializer,
                    use_bias=False,
                )
            )
            if apply_norm:
                block.add(InstanceNormalization())
            block.add(tf.keras.layers.LeakyReLU())
            return block
        """,
    ),
    md(
        "downsample-source",
        """
        The package's `downsample`, to compare with yours:
        """,
    ),
    code(
        "downsample-source-code",
        """
        print(inspect.getsource(models.downsample))
        """,
    ),
    md(
        "unet",
        """
        ## The U-Net, level by level

        The generator is an **encoder** of eight `downsample` blocks, which halve a 256 × 256
        image level by level down to a single pixel of 512 channels, then a **decoder** of
        seven `upsample` blocks and a last transposed convolution, which double it back to
        256 × 256 × 3, ending in `tanh` so that the output lies in [-1, 1] like the input.

        What makes it a U-Net (Ronneberger et al. 2015) are the **skip connections**: each
        decoder output is concatenated with the encoder output of the same size. The outline
        of the horse, the texture of the grass, where everything is: all of it can take the
        short way across instead of squeezing through the bottleneck. The table builds the
        tutorial's U-Net at 256 px and lists its levels, with the shape each one hands on and
        its parameters:
        """,
    ),
    checked(
        "unet-table",
        """
        reference_unet = models.unet_generator(3, norm_type="instancenorm", image_size=256)
        for block_name, shape, params in models.unet_levels_table(reference_unet, 256):
            print(f"{block_name:<16} {shape:>13} {params:>11,}")
        print(f"{'total':<16} {'':>13} {count_params(reference_unet):>11,}")
        """,
    ),
    md(
        "unet-read",
        """
        How to read it:

        - Going down, the map halves and the channels grow from 64 to 512; going up, it
          doubles back. An `up` row's channels include the skip's: `up 1` makes 512
          channels at 2 × 2 and the skip from `down 7` adds 512 more, so the next block
          receives 1024.
        - That is why `up 2` costs twice as much as `up 1`: its transposed convolution reads
          1024 channels instead of 512 (4 × 4 × 512 × 1024 weights, plus 1024 for the norm).
        - Most of the 54 million parameters sit in the middle levels, where 512 channels meet
          512; the outer levels, at the image's full size, are cheap.

        A U-Net built for 256 px takes any image whose sides are multiples of 256. The
        package's `image_size` argument builds smaller ones by dropping inner levels, so the
        innermost map is always 1 × 1: 128 px keeps seven levels.
        """,
    ),
    md(
        "seed-import",
        """
        ### Optional: the seed's own U-Net

        The tutorial imports its U-Net from `tensorflow_examples`, which is not on PyPI. On
        Colab, remove the `#` in front of the `%pip` line (the tutorial's own install line)
        and run the cell: it builds the tutorial's U-Net next to the package's, copies the
        package's weights into it and compares their outputs. Where the package is not
        installed, the cell says so and skips.
        """,
    ),
    code(
        "seed-import-code",
        """
        # %pip install -q git+https://github.com/tensorflow/examples.git
        try:
            from tensorflow_examples.models.pix2pix import pix2pix
        except ImportError:
            pix2pix = None
            print("tensorflow_examples is not installed here, so the comparison is skipped.")

        if pix2pix is not None:
            seed_unet = pix2pix.unet_generator(3, norm_type="instancenorm")
            print(f"the seed's U-Net:    {count_params(seed_unet):,} parameters")
            print(f"the package's U-Net: {count_params(reference_unet):,} parameters")
            seed_unet.set_weights(reference_unet.get_weights())
            x = tf.random.stateless_uniform([1, 256, 256, 3], seed=[0, 1], minval=-1, maxval=1)
            seed_out, our_out = seed_unet(x, training=False), reference_unet(x, training=False)
            gap = tf.reduce_max(tf.abs(seed_out - our_out))
            print(f"with the same weights, the outputs differ by at most {float(gap):.1e}")
            del seed_unet
        """,
    ),
    md(
        "bottleneck",
        """
        ### The 1 × 1 bottleneck carries nothing

        Look again at `down 8`: its output is a single pixel per channel. Instance norm takes
        the mean over height and width, and the mean of one value is that value, so
        `x - mean` is 0 whatever the image:
        """,
    ),
    checked(
        "bottleneck-one-pixel",
        """
        one_pixel = tf.constant([[[[0.7, -2.0, 5.0, 0.1]]]])  # (1, 1, 1, 4): a 1 x 1 map
        print(InstanceNormalization(affine=False)(one_pixel).numpy().ravel())
        """,
    ),
    md(
        "bottleneck-unet",
        """
        In the U-Net this means that `down 8` outputs its norm's offset alone, the same for
        every image. Two different images through the eight encoder blocks:
        """,
    ),
    checked(
        "bottleneck-unet-code",
        """
        blocks = [b for b in reference_unet.layers if isinstance(b, tf.keras.Sequential)]
        encoder = blocks[:8]  # the eight downsample blocks (the upsample ones follow)
        two_images = tf.random.stateless_uniform([2, 256, 256, 3], seed=[0, 1], minval=-1, maxval=1)
        h = two_images
        for down in encoder:
            h = down(h)
        print("innermost map:", tuple(h.shape))
        difference = float(tf.reduce_max(tf.abs(h[0] - h[1])))
        print("largest difference between the two images there:", difference)
        """,
    ),
    md(
        "bottleneck-meaning",
        """
        So in the tutorial's U-Net the innermost level passes no information about the image:
        the 4.2 million weights of `down 8`'s convolution never get a gradient, and the
        decoder starts from a learned constant. Everything the generator knows about its
        input reaches the decoder through the skip connections, from `down 7`'s 2 × 2 map
        outwards. The network still works, as the tutorial shows; it is just not using its
        deepest level. The authors' PyTorch U-Net leaves the norm out of its innermost block,
        which keeps that level alive.
        """,
    ),
    md(
        "patchgan",
        """
        ## The PatchGAN discriminator

        A discriminator could answer with one number per image. pix2pix's **PatchGAN** answers
        with a grid of numbers instead: each is a *logit* (a score before any sigmoid;
        positive leans "real") for one patch of the image. Its layers: three `downsample`
        blocks, then a zero padding and a 4 × 4 convolution with stride 1, a norm and a
        LeakyReLU, then another padding and a last 4 × 4 convolution to one channel. At 256 px:
        """,
    ),
    checked(
        "patchgan-shapes",
        """
        reference_disc = models.discriminator(norm_type="instancenorm", target=False)
        shown = reference_disc.layers[2:]  # after the input and the size check
        every_layer = tf.keras.Model(reference_disc.input, [layer.output for layer in shown])
        outputs = every_layer(tf.zeros([1, 256, 256, 3]))
        for layer, output in zip(shown, outputs, strict=True):
            print(f"{type(layer).__name__:<22} {str(tuple(output.shape)):>20}")
        print(f"parameters: {count_params(reference_disc):,}")
        """,
    ),
    md(
        "patchgan-read",
        """
        The three `downsample` blocks take 256 down to 32. Then each padding adds a pixel on
        every side and each 4 × 4 convolution with stride 1 (and no padding of its own) takes
        3 off: 32 + 2 − 3 = 31, then 31 + 2 − 3 = 30. So D_Y gives a 30 × 30 map of verdicts
        for one zebra, and the loss averages them.

        Which part of the image does one of those 900 verdicts see? Follow one output pixel
        back through the convolutions: this is its **receptive field**. Paddings do not
        change it, so only the (kernel, stride) of each convolution matters:
        """,
    ),
    checked(
        "patchgan-convs",
        """
        def conv_layers(model):
            \"\"\"Every Conv2D of a model, the ones inside its blocks too, in order.\"\"\"
            found = []
            for layer in model.layers:
                if isinstance(layer, tf.keras.Sequential):
                    found += conv_layers(layer)
                elif isinstance(layer, tf.keras.layers.Conv2D):
                    found.append(layer)
            return found


        patch_convs = [(c.kernel_size[0], c.strides[0]) for c in conv_layers(reference_disc)]
        print("(kernel, stride) of each convolution:", patch_convs)
        """,
    ),
    *exercise(
        "ex-receptive-field",
        """
        ### Exercise 2: compute the receptive field

        Write `my_receptive_field(layers)`: given a list of `(kernel, stride)` pairs, first
        layer first, return the side of the square of input pixels that one output pixel
        depends on.

        Start at the output with `r = 1` (one pixel) and walk back through the layers, last
        layer first. A convolution with kernel `k` makes one output pixel depend on `k`
        pixels of its input; `r` neighbouring output pixels sit `stride` apart in the input,
        so together they depend on `(r - 1) * stride + k` input pixels.
        """,
        """
        def my_receptive_field(layers):
            # your code here: return an int
            ...
        """,
        "exercises.check_receptive_field(my_receptive_field)",
        """
        def my_receptive_field(layers):
            r = 1
            for kernel, stride in reversed(layers):
                r = (r - 1) * stride + kernel
            return r
        """,
    ),
    md(
        "rf-walk",
        """
        The PatchGAN's layers, walked back one at a time from one logit:
        """,
    ),
    checked(
        "rf-walk-code",
        """
        r = 1
        print(f"one logit{'':<28} 1 x 1")
        for kernel, stride in reversed(patch_convs):
            r = (r - 1) * stride + kernel
            print(f"back through a {kernel} x {kernel} conv, stride {stride}: {r:>5} x {r}")
        print("exercises.receptive_field gives", exercises.receptive_field(patch_convs))
        """,
    ),
    md(
        "rf-measure",
        """
        This is the **70 × 70 PatchGAN** of the pix2pix and CycleGAN papers. It can be
        measured too: the gradient of one logit with respect to the input pixels is zero
        wherever the logit does not look. The picture shows the size of that gradient for the
        logit in the middle of the map, on a log scale, twice: for the PatchGAN as trained,
        and for the same convolutions with batch norm in test mode, which is a fixed scale and
        shift per channel.
        """,
    ),
    code(
        "rf-measure-code",
        """
        def input_gradient(discriminator, row=15, col=15):
            \"\"\"|d logit[row, col] / d pixel|, summed over the colours, for a 256 px image.\"\"\"
            x = tf.random.stateless_uniform([1, 256, 256, 3], seed=[3, 4], minval=-1, maxval=1)
            with tf.GradientTape() as tape:
                tape.watch(x)
                logit = discriminator(x, training=False)[0, row, col, 0]
            return tf.reduce_sum(tf.abs(tape.gradient(logit, x)[0]), axis=-1).numpy()


        fixed_norm_disc = models.discriminator(norm_type="batchnorm", target=False)
        gradients = {
            "instance norm (as trained)": input_gradient(reference_disc),
            "a fixed norm per channel": input_gradient(fixed_norm_disc),
        }
        rows, cols = np.nonzero(gradients["a fixed norm per channel"])
        print(f"with a fixed norm the logit sees {np.ptp(rows) + 1} x {np.ptp(cols) + 1} pixels")
        as_trained = gradients["instance norm (as trained)"]
        window = as_trained[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        share = window.sum() / as_trained.sum()
        print(f"with instance norm, {share:.0%} of the gradient falls in that window")

        fig, axes = plt.subplots(1, 2, figsize=(6.5, 3.5))
        for ax, (title, grad) in zip(axes, gradients.items(), strict=True):
            ax.imshow(np.log10(grad + 1e-12), cmap="magma", vmin=np.log10(grad.max()) - 4)
            ax.set_title(title)
            ax.axis("off")
        plt.show()
        del fixed_norm_disc
        """,
    ),
    md(
        "rf-read",
        """
        On the right, a sharp 70 × 70 square: the convolutions' receptive field, measured.
        On the left the same square stands out, but faintly every pixel counts: instance
        norm's mean and variance are taken over the whole map, so every verdict depends a
        little on the whole image. The convolutions decide *where* a logit looks; the norm
        only rescales.

        Why judge patches? A 70 × 70 window cannot judge the layout of a whole scene, but it
        judges texture and local detail well, and those are what a horse-to-zebra
        translation changes; pix2pix adds that a patch judge has fewer parameters and runs
        faster than a whole-image one. It is also fully convolutional, so it takes images of
        any size: the map is (size / 8 − 2) on a side.
        """,
    ),
    md(
        "resnet",
        """
        ## The paper's generator: a ResNet

        The CycleGAN paper does not use the U-Net. Its generator, taken from Johnson et al.'s
        fast style transfer, keeps the image large throughout: a 7 × 7 convolution to 64
        channels, two stride-2 convolutions down to a quarter of the side (64 × 64 with 256
        channels, for a 256 px image), then nine **residual blocks** that each add a
        correction to their input instead of replacing it, two stride-2 transposed
        convolutions back up, and a last 7 × 7 convolution to 3 channels with `tanh`. It
        pads by *reflecting* the image at its border instead of adding zeros, and its
        instance norm learns no scale or offset. There are no skip connections across the
        network: the residual blocks let the image flow through instead. The paper uses 9
        blocks at 256 px and 6 at 128 px.
        """,
    ),
    checked(
        "resnet-count",
        """
        resnet = models.resnet_generator(3, image_size=256)  # 9 residual blocks at 256 px
        block_params = 2 * (3 * 3 * 256 * 256 + 256)  # two 3 x 3 convs of 256 filters, with biases
        print(f"ResNet generator, 9 blocks:         {count_params(resnet):>11,}")
        print(f"one residual block:                 {block_params:>11,}")
        print(f"6 blocks (the paper's 128 px):      {count_params(resnet) - 3 * block_params:>11,}")
        print(f"the tutorial's U-Net, for scale:    {count_params(reference_unet):>11,}")
        del resnet, reference_unet
        """,
    ),
    md(
        "resnet-read",
        """
        The ResNet is almost five times smaller than the U-Net, yet it is the generator of the
        paper's results; the package builds it when `config.generator` is `"resnet"` (the
        `paper` profile). A residual block is small enough to write yourself.
        """,
    ),
    md(
        "ex-resnet-check-note",
        """
        ### Exercise 3 (harder, optional): write a residual block

        The next cell holds the check for this exercise (expand it if you are curious): it
        compares your block with the package's `models.resnet_block` on the same weights.
        """,
    ),
    code(
        "ex-resnet-checker",
        '''
        from cyclegan_lesson.exercises import Verdict

        RESNET_HINTS = {
            "not_done": "Not done yet: replace the `...` with your code, then run the cell again.",
            "no_bias": "Two biases short: the paper's code gives its convolutions biases "
            "(use_bias=True, the default).",
            "affine": "Too many parameters: the ResNet's instance norm learns no scale or "
            "offset, InstanceNormalization(affine=False).",
            "params": "Your block has {got:,} parameters, the reference {want:,}: two "
            "Conv2D(filters, 3) and two InstanceNormalization(affine=False).",
            "layers": "Your block's layers differ from the reference's ({error}).",
            "shape": "The block should keep its input's shape {want}, got {got}: pad by 1 "
            "before each 3 x 3 conv.",
            "no_residual": "Add the block's input back at the end, tf.keras.layers.Add()([x, y]): "
            "that sum is what makes it residual.",
            "zero_pad": "Pad by reflection, models.ReflectionPadding2D(1), not with zeros: zeros "
            "draw a dark frame into every map.",
            "relu_after": "No ReLU after the addition: the block ends with the sum, so that it "
            "can make values smaller too.",
            "order": "Same weights, different outputs: the order is pad, conv, norm, ReLU, pad, "
            "conv, norm, then add the input.",
        }


        def _resnet_block_variant(x, filters, pad="reflect", residual=True, relu_after=False):
            """The residual block with one plausible mistake (for the hints)."""

            def padded(t):
                if pad == "reflect":
                    return models.ReflectionPadding2D(1)(t)
                return tf.keras.layers.ZeroPadding2D(1)(t)

            y = tf.keras.layers.Conv2D(filters, 3)(padded(x))
            y = tf.keras.layers.ReLU()(InstanceNormalization(affine=False)(y))
            y = tf.keras.layers.Conv2D(filters, 3)(padded(y))
            y = InstanceNormalization(affine=False)(y)
            y = tf.keras.layers.Add()([x, y]) if residual else y
            return tf.keras.layers.ReLU()(y) if relu_after else y


        def _fail(mistake, **values):
            return Verdict(False, RESNET_HINTS[mistake].format(**values), mistake)


        def check_resnet_block(fn, filters=8):
            """Check fn(x, filters) against models.resnet_block(x, filters, True, False)."""

            def model_of(block):
                x = tf.keras.Input(shape=(None, None, filters))
                return tf.keras.Model(x, block(x))

            try:
                if fn(tf.keras.Input(shape=(None, None, filters)), filters) in (None, Ellipsis):
                    return _fail("not_done")
                mine = model_of(lambda t: fn(t, filters))
            except Exception as error:
                return Verdict(False, f"Your function raised {type(error).__name__}: {error}")
            reference = model_of(lambda t: models.resnet_block(t, filters, True, False))
            got, want = count_params(mine), count_params(reference)
            if got == want - 2 * filters:
                return _fail("no_bias")
            if got == want + 4 * filters:
                return _fail("affine")
            if got != want:
                return _fail("params", got=got, want=want)
            image = tf.random.stateless_normal([2, 6, 6, filters], seed=[4, 2])
            try:
                mine.set_weights(reference.get_weights())
                out = np.asarray(mine(image))
            except Exception as error:
                return _fail("layers", error=f"{type(error).__name__}: {error}")
            if out.shape != tuple(image.shape):
                return _fail("shape", want=tuple(image.shape), got=out.shape)
            if np.allclose(out, reference(image), atol=1e-4):
                return Verdict(
                    True,
                    f"Correct! {want:,} parameters = 2 x (3 x 3 x {filters} x {filters} + "
                    f"{filters}), and the reference's outputs.",
                )
            variants = {
                "no_residual": dict(residual=False),
                "zero_pad": dict(pad="zeros"),
                "relu_after": dict(relu_after=True),
            }
            for mistake, change in variants.items():
                variant = model_of(lambda t, c=change: _resnet_block_variant(t, filters, **c))
                variant.set_weights(reference.get_weights())
                if np.allclose(out, variant(image), atol=1e-4):
                    return _fail(mistake)
            return _fail("order")
        ''',
        hidden=True,
    ),
    *exercise(
        "ex-resnet",
        """
        Write `my_resnet_block(x, filters)` in Keras' functional style: it takes a tensor `x`
        of shape (batch, height, width, `filters`) and returns `x` plus a correction of the
        same shape, computed as

        reflection pad 1 → 3 × 3 `Conv2D(filters, 3)` → `InstanceNormalization(affine=False)`
        → ReLU → reflection pad 1 → 3 × 3 `Conv2D(filters, 3)` →
        `InstanceNormalization(affine=False)`,

        then `tf.keras.layers.Add()([x, y])`. The reflection padding is
        `models.ReflectionPadding2D(1)`; the convolutions keep their biases, as in the
        authors' code. Before you run the check, work out how many parameters your block
        should have for `filters = 8`.
        """,
        """
        def my_resnet_block(x, filters):
            # your code here: y = ...(x); return tf.keras.layers.Add()([x, y])
            ...
        """,
        "check_resnet_block(my_resnet_block)",
        """
        def my_resnet_block(x, filters):
            y = models.ReflectionPadding2D(1)(x)
            y = tf.keras.layers.Conv2D(filters, 3)(y)
            y = InstanceNormalization(affine=False)(y)
            y = tf.keras.layers.ReLU()(y)
            y = models.ReflectionPadding2D(1)(y)
            y = tf.keras.layers.Conv2D(filters, 3)(y)
            y = InstanceNormalization(affine=False)(y)
            return tf.keras.layers.Add()([x, y])
        """,
    ),
    md(
        "profile-nets",
        """
        ## The networks this profile trains

        The tutorial builds its four networks in one cell. Here it is with the package's
        `models` in place of pix2pix, at this profile's image size and widths (the demo
        profile: 128 px, so seven U-Net levels, and slimmer networks with 24 base filters for
        the generators and 16 for the discriminators, so that a CPU can train them):
        """,
    ),
    code(
        "seed-networks",
        """
        OUTPUT_CHANNELS = 3
        unet_size = dict(
            image_size=config.image_size,
            base_filters=config.base_filters,
            dropout_layers=config.dropout_layers,
        )

        generator_g = models.unet_generator(OUTPUT_CHANNELS, norm_type="instancenorm", **unet_size)
        generator_f = models.unet_generator(OUTPUT_CHANNELS, norm_type="instancenorm", **unet_size)

        discriminator_x = models.discriminator(
            norm_type="instancenorm", target=False, base_filters=config.discriminator_filters
        )
        discriminator_y = models.discriminator(
            norm_type="instancenorm", target=False, base_filters=config.discriminator_filters
        )
        """,
    ),
    md(
        "build-models",
        """
        The package does the same with `models.build_models(config)`, under the names its
        checkpoints use (and builds the ResNet when the profile asks for it). The lesson
        uses these from now on:
        """,
    ),
    code(
        "build-models-code",
        """
        seed_networks = [generator_g, generator_f, discriminator_x, discriminator_y]
        nets = models.build_models(config)
        for name, net in nets.items():
            print(f"{name:<16} {count_params(net):>11,} parameters")
        if config.generator == "unet":
            same = list(map(count_params, nets.values())) == list(map(count_params, seed_networks))
            print("the same sizes as the tutorial's cell:", same)
        generator_g, generator_f = nets["generator_g"], nets["generator_f"]
        discriminator_x, discriminator_y = nets["discriminator_x"], nets["discriminator_y"]
        del seed_networks
        """,
    ),
    md(
        "untrained",
        """
        ## What untrained networks do

        One test horse and one test zebra, and the tutorial's first look at its generators:
        `to_zebra = generator_g(sample_horse)`, `to_horse = generator_f(sample_zebra)`.
        """,
    ),
    code(
        "samples",
        """
        raw, counts = data.raw_source(config)
        sample_horse = next(iter(data.test_pipeline(raw["testA"].take(1), config)))
        sample_zebra = next(iter(data.test_pipeline(raw["testB"].take(1), config)))

        to_zebra = generator_g(sample_horse)
        to_horse = generator_f(sample_zebra)
        print(f"spread of the horse's pixels:   {np.std(sample_horse):.3f}")
        print(f"spread of G's untrained output: {np.std(to_zebra):.3f}")
        """,
    ),
    md(
        "contrast",
        """
        With weights drawn from N(0, 0.02), the output stays close to 0, which is mid grey
        on screen. The tutorial multiplies the generated images by `contrast = 8` before
        showing them: `plt.imshow(imgs[i][0] * 0.5 * contrast + 0.5)`. `viz.to_display` does
        the same (and clips to the screen's range). Drag the slider to choose the contrast:
        """,
    ),
    code(
        "contrast-slider",
        """
        viz.contrast_slider(sample_horse, to_zebra, sample_zebra, to_horse, value=8)
        """,
    ),
    md(
        "contrast-static",
        """
        A saved notebook cannot keep a slider alive, so here is the same picture at the
        tutorial's contrast of 8, drawn a little smaller with `viz.image_grid` (which
        `viz.preview_figure`, the slider's picture, uses too):
        """,
    ),
    code(
        "contrast-static-code",
        """
        viz.image_grid(
            [[sample_horse, to_zebra], [sample_zebra, to_horse]],
            titles=["Input", "Generated (contrast x8)"],
            contrast=[1.0, 8.0],
            size=2,
        )
        """,
    ),
    md(
        "untrained-read",
        """
        Look closely at a generated image at the demo's 128 px: through the noise, the
        horizon shows, and faintly the animal. With random weights, the skip connections
        already carry the input's layout to the decoder; training will decide what to paint
        there.

        And the untrained discriminators, the tutorial's "Is a real zebra?" and "Is a real
        horse?", patch by patch (red: a higher score, closer to "real"; blue: a lower one;
        the colours span each map's own range). This profile's
        map is (size / 8 − 2) on a side. Its scores follow the picture (sky and grass score
        differently) but mean nothing yet: nothing has told it what a real zebra looks like.
        """,
    ),
    code(
        "patch-map",
        """
        viz.patch_map_figure(discriminator_y(sample_zebra), discriminator_x(sample_horse))
        """,
    ),
    *footer(
        [
            "CycleGAN trains four networks: G: X → Y and F: Y → X translate, D_X and D_Y "
            "judge real against generated in their own domain.",
            "Instance norm gives every image and channel mean 0 and variance 1 over height "
            "and width, whatever the batch: each image keeps its own style.",
            "The tutorial's U-Net halves 256 px down to 1 × 1 in eight `downsample` blocks "
            "and doubles it back in `upsample` blocks; skip connections carry the detail "
            "across, and the 1 × 1 level, normalised, carries nothing.",
            "The PatchGAN gives a 30 × 30 map of logits at 256 px, each judging a 70 × 70 "
            "patch: the receptive field of its five convolutions.",
            "The paper's ResNet generator (11.4 million parameters) is almost five times "
            "smaller than the U-Net (54.4 million).",
        ],
        """
        Each of these runs as written after the notebook above.

        1. Build the paper's generator at this profile's size,
           `models.resnet_generator(3, config.image_size)`, and compare its parameter count
           with `count_params(generator_g)`. Which is bigger here, and why is the answer
           not the same as at 256 px? (Hint: look at `config.base_filters`.)
        2. Print `models.unet_levels_table(generator_g, config.image_size)` for this
           profile's U-Net. Which levels are gone, and is the innermost map still 1 × 1?
        3. Give a U-Net built for 64 px a 96 × 96 image, and read what it says: which sizes
           does it take, and why multiples of 64?

           ```python
           try:
               models.unet_generator(image_size=64)(tf.zeros([1, 96, 96, 3]))
           except ValueError as error:
               print(error)
           ```
        4. Predict the side of D_Y's map for a 200 × 200 image, then check it with
           `discriminator_y(tf.zeros([1, 200, 200, 3])).shape`.
        5. Build a U-Net with the tutorial's dropout,
           `models.unet_generator(3, "instancenorm", config.image_size, config.base_filters,
           dropout_layers=3)`, and call it twice on `sample_horse` with `training=True`,
           then twice with `training=False`. Which pair of outputs is equal?
        6. Use `my_receptive_field` on the ResNet generator's convolutions up to its last
           residual block, first layer first: `[(7, 1), (3, 2), (3, 2)] + [(3, 1)] * 18`.
           How wide is the window of a 256 px image that one pixel there sees? (The
           transposed convolutions after it widen the window further.)
        """,
        [PAPER, TUTORIAL, PIX2PIX, UNET, INSTANCE_NORM, BATCH_NORM, RESNET_GEN, PIX2PIX_CODE],
        "03_losses",
    ),
]

if __name__ == "__main__":
    print(save(NAME, cells))
