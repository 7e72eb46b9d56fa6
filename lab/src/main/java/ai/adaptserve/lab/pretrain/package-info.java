/**
 * Training the built-in model from scratch (issue 4): {@link ai.adaptserve.lab.pretrain.BaseModelTrainer}
 * (full-parameter training with DJL autograd over the serving decoder), {@link ai.adaptserve.lab.pretrain.PretrainData}
 * (task-suite prompts as byte sequences, seeded batches) and the {@link ai.adaptserve.lab.pretrain.TrainBuiltin}
 * command behind {@code bin/train-builtin}.
 */
package ai.adaptserve.lab.pretrain;
