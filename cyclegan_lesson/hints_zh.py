"""The Simplified Chinese versions of :data:`cyclegan_lesson.exercises.HINTS` and
:data:`cyclegan_lesson.exercises.PASSES`, which the checkers show in the zh-CN edition; the
keys and ``str.format`` placeholders are the same as in the English tables."""

HINTS = {
    # 通用
    "not_done": "还没完成：把练习单元格中的 `...` 换成你的代码，运行那个单元格，"
    "然后再运行一次这个检查。",
    "raised": "你的函数抛出了 {error}",
    "wrong_value": "还不对：在隐藏的输入上，你的函数给出 {got}，参考实现给出 {want}。",
    # 随机抖动
    "jitter_raised": "你的函数抛出了 {error}。如果先裁剪再缩放，图像可能比裁剪的尺寸还小："
    "先缩放到 jitter_size，再裁剪到 size。",
    "jitter_shape": "抖动后的图像应为 (size, size, 3) = {want}，实际得到 {got}。先缩放到 "
    "(jitter_size, jitter_size)，再裁剪到 (size, size)。",
    "jitter_no_crop": "输出是 (jitter_size, jitter_size)：你缩放了，但没有裁剪。"
    "最后还要随机裁剪出 (size, size, 3)。",
    "jitter_interpolated": "像素是新的值，而不是输入像素的副本：像原教程那样用 method='nearest' "
    "缩放（双线性插值会让图像变模糊，而且更慢）。",
    "jitter_upside_down": "有些图像上下颠倒了：要左右翻转（tf.image.random_flip_left_right），"
    "绝不能上下翻转；一匹四脚朝天的马可不是训练样本。",
    "jitter_no_resize": "裁剪取自原始尺寸的图像：裁剪之前，先用最近邻插值缩放到 (jitter_size, "
    "jitter_size)。",
    "jitter_not_crop": "输出不是缩放后图像的一块裁剪：先用 method='nearest' 缩放到 (jitter_size, "
    "jitter_size)，再用 tf.image.random_crop 裁剪到 (size, size, 3)。",
    "jitter_fixed_crop": "裁剪总在同一个位置：请用随机裁剪（tf.image.random_crop），"
    "这样每一轮看到的图像都略有平移。",
    "jitter_never_flipped": "没有任何图像被翻转过：加上 tf.image.random_flip_left_right。",
    "jitter_always_flipped": "每张图像都被翻转了：要以一半的概率随机翻转"
    "（tf.image.random_flip_left_right）。",
    # 训练管线
    "pipeline_not_dataset": "请返回你的管线构建的 tf.data.Dataset，实际得到 {got}。",
    "pipeline_not_batched": "每个元素都应是一个批次 (batch, height, width, 3)，实际得到的形状是 "
    "{got}：最后加上 .batch(BATCH_SIZE)。",
    "pipeline_not_normalized": "像素应为 [-1, 1] 范围内的 float32，实际得到的是 [{low:.3g}, "
    "{high:.3g}] 范围内的 {dtype}：在抖动之后应用 normalize。",
    "pipeline_frozen": "两轮看到的裁剪和翻转完全相同：cache() 存下了抖动后的图像，之后原样重放。"
    "把 .cache() 放在负责抖动的 map 之前（确定性的缩放之后），这样每一轮都会重新抽取抖动。",
    "pipeline_no_cache": "两轮下来，{count} 张图像的数据源被读取了 {reads} 次：没有缓存。"
    "在确定性的步骤之后加上 .cache()，这样第二轮就从内存中读取。",
    "pipeline_not_shuffled": "两轮的顺序都与数据源相同：在缓存之后加上 .shuffle(BUFFER_SIZE)。",
    # 下采样
    "downsample_not_model": "my_downsample 应返回一个 Keras 层或模型（例如 keras.Sequential），"
    "实际得到 {got}。",
    "downsample_no_stride": "这个块保持了图像的尺寸 {got}：给 Conv2D 设置 strides=2，"
    "让每个块把高和宽各减半。",
    "downsample_padding": "输出是 {got}，而不是 {want}：在 Conv2D 中使用 padding='same'。",
    "downsample_shape": "输出应为 {want}，实际得到 {got}。",
    "downsample_bias": "这个块多了 {extra} 个参数，每个卷积核一个：这是偏置。使用 use_bias=False；"
    "紧跟在卷积之后的归一化层有它自己的偏移量。",
    "downsample_no_norm": "这个块没有归一化层（{got} 个参数，应为 {want} 个）：当 apply_norm 为 "
    "True 时，在卷积之后加上 InstanceNormalization()。",
    "downsample_norm_off": "当 apply_norm=False 时，这个块不应有归一化层（{want} 个参数），实际有 "
    "{got} 个。",
    "downsample_params": "这个块有 {got} 个参数，参考实现有 {want} 个：应为一个 Conv2D (filters, "
    "size, strides=2, padding='same', use_bias=False)、一个归一化层和一个 LeakyReLU。",
    "downsample_relu": "没有任何输出为负：编码器用的是 LeakyReLU()，而不是 ReLU。",
    "downsample_order": "权重相同，输出却不同：顺序应是 Conv2D，然后是归一化层，最后是 "
    "LeakyReLU()。",
    # 感受野
    "rf_no_strides": "你把卷积核的大小加了起来，却漏掉了步长：往下一层，相邻的像素相隔 `stride` "
    "个像素。从输出往回推：r = (r - 1) * stride + kernel。",
    "rf_forward": "你是从输入往输出推的。应从一个输出像素（r = 1）出发，从最后一层开始逐层往回推："
    "r = (r - 1) * stride + kernel。",
    "rf_kernels": "卷积核大小之和并不是感受野：每一层让它增大 (kernel - 1) "
    "乘以该层之前（更靠近输入的）各层步长之积。",
    # 损失
    "loss_labels_swapped": "真实和生成弄反了：真实图像的输出对应标签 1（ones_like），"
    "生成图像的输出对应标签 0（zeros_like）。",
    "loss_no_half": "是参考实现的两倍：判别器的损失是 (真实图像的损失 + 生成图像的损失) * 0.5，"
    "因为论文把 D 的目标减半了。",
    "loss_not_logits": "判别器输出的是 logit，而不是概率：使用 "
    "BinaryCrossentropy(from_logits=True)。",
    "loss_only_real": "只有真实图像的那一半：再加上生成图像的损失（标签 0）。",
    "loss_sum": "原教程取平均值的地方你用了求和：使用 tf.reduce_mean（或会求平均的 Keras "
    "损失函数），这样损失就不会随图像尺寸增大。",
    "loss_lsgan": "这是 LSGAN 的最小二乘损失（笔记本 03 也介绍了它）；"
    "这个练习要求的是原教程的二元交叉熵。",
    "gen_labels_zero": "生成器希望它的伪造图像被判为真：把判别器对它们的输出与 ones_like 比较，"
    "而不是 zeros_like。",
    "cycle_no_lambda": "L1 距离是对的，但没有加权：乘以 LAMBDA（10）。",
    "cycle_half": "这是 LAMBDA * 0.5，即恒等损失的权重：循环损失是 LAMBDA * mean |x - F(G(x))|。",
    "l1_squared": "这是平方距离（L2）；论文的循环损失和恒等损失用的是绝对差 tf.abs。",
    "identity_no_half": "是参考实现的两倍：恒等损失的权重是 LAMBDA * 0.5。",
    "identity_no_lambda": "L1 距离是对的，但还需要乘以它的权重 LAMBDA * 0.5。",
    "identity_unweighted": "L1 距离是对的，但没有加权：乘以 LAMBDA * 0.5。",
    # 学习率调度
    "lr_to_zero": "最后一轮的学习率为 0，什么也学不到：像作者的代码那样除以 decay_epochs + 1，"
    "这样最后一轮的倍率是 1 / (decay_epochs + 1)。",
    "lr_late": "衰减晚开始了一轮：最后 decay_epochs 轮中的第一轮，倍率就已经是 1 - 1 / "
    "(decay_epochs + 1)。",
    "lr_from_start": "学习率从第一轮就开始下降：在前 epochs - decay_epochs 轮中，倍率应保持为 1。",
    # 训练步
    "step_return": "请返回四个梯度列表（G 的、F 的、D_X 的、D_Y 的），就是 tape.gradient "
    "给出的那样；实际得到 {got}。",
    "step_not_persistent": "GradientTape 只能求一次梯度，除非它是持久的：用 "
    "tf.GradientTape(persistent=True) 打开它。",
    "step_no_identity": "生成器的梯度缺少恒等损失：G 的总损失要加上 identity_loss(real_y, "
    "same_y)（给 G 输入斑马），F 的要加上 identity_loss(real_x, same_x)。"
    "（把恒等项加在另一个生成器的总损失上，根本不会产生梯度。）",
    "step_no_cycle": "生成器的梯度缺少循环损失：两个总损失都要加上 calc_cycle_loss(real_x, "
    "cycled_x) + calc_cycle_loss(real_y, cycled_y)。",
    "step_cycle_one_way": "只有一个循环：总循环损失包含两个往返，x -> G -> F 和 y -> F -> G。",
    "step_disc_swapped": "判别器评判的是另一个域的伪造图像：D_X 看 fake_x（= F(real_y)），D_Y 看 "
    "fake_y（= G(real_x)）。",
    "step_wrong_model": "生成器的梯度是对另一个生成器求的：每个总损失的梯度都要对它自己的模型求"
    "（total_gen_g_loss -> generator_g.trainable_variables, ...）。",
    "step_differs": "还不对：{which} 的梯度与参考实现的不同（最大差异 {diff:.2g}）；{same} "
    "的梯度一致。把你的损失与原教程的逐项对比。",
    # 推理与评估
    "uint8_dtype": "请返回 uint8 像素（np.uint8），实际得到 {got}。",
    "uint8_no_clip": "[-1, 1] 之外的值发生了回绕：在类型转换之前把值限制到 [0, 255]（生成器的 "
    "tanh 会让值留在范围内，但混合或编辑过的图像未必）。",
    "uint8_truncated": "有些像素值小了 1：在类型转换之前先四舍五入（类型转换会直接截断小数）。",
    "uint8_scale": "缩放比例不对：[-1, 1] 按 (x + 1) * 127.5 映射到 [0, 255]。",
    "iou_dice": "这是 Dice 系数 2|A∩B| / (|A| + |B|)：IoU 除以的是并集 |A∪B|。",
    "iou_over_first": "你除以的是第一个掩码的面积：IoU 除以的是并集，"
    "所以第二个掩码中多出的像素也要计入。",
    "iou_empty": "两个空掩码完全一致：这时返回 1.0，而不是除以 0。",
    # 06 实验
    "prediction_unknown": "{got!r} 不是这些消融实验之一：请从 {options} 中选一个。",
    "prediction_no_identity_loss": "它确实会让循环 L1 升高一点：恒等损失让 G 贴近它的输入，从而让 "
    "F 的任务更容易。但循环损失仍然以全部权重起作用。哪一处改动能同时削弱这两者？",
    "prediction_no_cycle_loss": "这是最自然的猜测，也很接近。但去掉循环损失后，"
    "恒等损失仍保持全部权重（0.5 λ = 5），它让 G(x) 贴近 x，所以 F 仍然能还原其中的大部分。"
    "看看恒等损失是怎样加权的：哪一处改动能同时削弱循环损失和恒等损失？",
    "prediction_lambda_30": "更强的循环损失会把往返约束得更紧，而不是更松。",
    "prediction_bce": "对抗损失的形式改变的是 D 怎样给斑马打分，而不是把 F(G(x)) 与 x "
    "联系起来的东西。",
    "prediction_no_image_pool": "图像池改变的是 D 从哪些伪造图像中学习，而不是把 F(G(x)) 与 x "
    "联系起来的东西。",
    "prediction_no_change_price": "它确实会让循环 L1 升高一点：与恒等损失一样，改动代价让 G(x) "
    "贴近 x，留给 F 去还原的东西就少了。但循环损失仍然以全部权重起作用。"
    "哪一处改动削弱的是循环损失本身？",
    "prediction_wide_discriminator": "更宽的 D 对斑马的评判更严格；但其中没有任何东西要求 F 还原 "
    "G 的结果。",
    "prediction_attention": "注意力让背景原封不动地通过，这使往返更容易，而不是更难。",
    "variant_type": "请用 experiments.Variant(name, {{setting: value}}) 创建变体，实际得到的是 "
    "{got}。",
    "did_you_mean": "你是不是想写 {name!r}？",
    "variant_unknown_setting": "没有名为 {got!r} 的设置。{close}各项设置就是 Config "
    "的字段（print(config) 会列出它们）。",
    "variant_fixed": "{got}：每个变体都与其他变体训练同样长的时间，使用相同的数据，"
    "并保存在各自的文件夹中。请改为修改模型、损失或优化器的某项设置。",
    "variant_seed": "随机种子不是受测的设置：保持设置不变，改为给变体更多随机种子，Variant(name, "
    "{{...}}, seeds=(0, 1, 2))。",
    "variant_no_change": "这就是 base 本身的值：这个变体只会重复基线。请选一个 base "
    "中没有的值（print(base) 会显示它的各项值）。",
    "variant_two_changes": "这个变体改变了 {got}：一次只改一处，"
    "否则表格无法告诉你哪一处改动起了什么作用。",
    "variant_name_taken": "{got!r} 已经是本课程的一个消融实验（它会重用那次运行的文件夹）："
    "给你的变体起个新名字。",
    "amplify_uint8": "uint8 像素相减会回绕（3 - 5 得 254）：相减之前先把图像转换为浮点数。",
    "amplify_no_abs": "b 比 a 亮的像素变成了黑色：取绝对差 np.abs。",
    "amplify_no_scale": "几乎每个像素都是白色：像素值的范围是 0 到 255，"
    "所以在乘以增益之前先把差值除以 255。",
    "amplify_no_clip": "有些值大于 1：按 imshow 的要求，用 np.clip 把值限制到 [0, 1]。",
    "amplify_wrong": "还不对：结果应为 np.clip(|a - b| / 255 * gain, 0, 1)，其中 a 和 b 为浮点数。",
}

# 通过时的消息，接在 PASSES["correct"] 之后。
PASSES = {
    "correct": "正确！",
    "jitter": "最近邻缩放到 {jitter_size}、随机裁剪出 {size} x {size}，再加上随机的左右翻转。",
    "pipeline": "每张图像只读取一次，批次经过打乱，每一轮都有新的裁剪和翻转。",
    "downsample": "由 (16, 16, 3) 得到 {shape}，{params} 个参数，输出与参考实现一致。",
    "receptive_field": "PatchGAN 的 {first} x {first} 窗口，其余几组为 {others}。",
    "discriminator_loss": "真实的判为真，生成的判为假，再减半。",
    "generator_loss": "生成器希望它的伪造图像被判为真。",
    "cycle_loss": "LAMBDA 乘以平均绝对差。",
    "identity_loss": "LAMBDA * 0.5 乘以平均绝对差。",
    "lr_factor": "先保持不变，再线性下降；最后一轮仍在学习。",
    "train_step": "你的训练步对全部四个网络给出的梯度都与参考实现的一致。",
    "to_uint8": "经过四舍五入并限制了范围的 uint8 像素。",
    "iou": "交并比，两个空掩码时为 1.0。",
    "prediction": "λ 也给恒等损失加权（0.5 λ），所以 λ = 1 会同时削弱两者：让 G(x) 贴近 x "
    "的约束小了很多，F 也就无法还原 G 生成的内容。运行消融实验，看看影响有多大。",
    "variant": "{variant!r} 把 {name} 从 {before!r} 改为 {after!r}。",
    "amplify": "微小的差异，变得清晰可见。",
}
