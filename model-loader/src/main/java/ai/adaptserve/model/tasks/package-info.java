/**
 * The seeded task suite (issue 4): few-shot tasks over short strings and 1-D colour rows, the novel split for
 * test-time training, synthetic documents for document training, the prompt phrasings, and JSONL files in the eval
 * format of design.md.
 *
 * <ul>
 *   <li>{@link ai.adaptserve.model.tasks.FewShotTask}, {@link ai.adaptserve.model.tasks.DocumentTask} and
 *       {@link ai.adaptserve.model.tasks.TaskFiles}: the records and their JSONL files;
 *   <li>{@link ai.adaptserve.model.tasks.TaskFamily} and {@link ai.adaptserve.model.tasks.Operations}: the 13
 *       training families and their functions; {@link ai.adaptserve.model.tasks.NovelTasks}: compositions,
 *       out-of-range parameters and new operations;
 *   <li>{@link ai.adaptserve.model.tasks.TaskGenerator}: tasks and disjoint train / val / test splits;
 *       {@link ai.adaptserve.model.tasks.SyntheticDocuments}: logs with facts and questions;
 *   <li>{@link ai.adaptserve.model.tasks.PromptFormat}: in-context prompts in four phrasings;
 *   <li>{@link ai.adaptserve.model.tasks.TaskSuite}: the {@code generate} command that writes every file.
 * </ul>
 */
package ai.adaptserve.model.tasks;
