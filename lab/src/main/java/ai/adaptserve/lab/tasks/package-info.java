/**
 * The seeded task suite (issue 4): few-shot tasks over short strings and 1-D colour rows, the novel split for
 * test-time training, synthetic documents for document training, the prompt phrasings, and JSONL files in the eval
 * format of design.md.
 *
 * <ul>
 *   <li>{@link ai.adaptserve.lab.tasks.FewShotTask}, {@link ai.adaptserve.lab.tasks.DocumentTask} and
 *       {@link ai.adaptserve.lab.tasks.TaskFiles}: the records and their JSONL files;
 *   <li>{@link ai.adaptserve.lab.tasks.TaskFamily} and {@link ai.adaptserve.lab.tasks.Operations}: the 13
 *       training families and their functions; {@link ai.adaptserve.lab.tasks.NovelTasks}: compositions,
 *       out-of-range parameters and new operations;
 *   <li>{@link ai.adaptserve.lab.tasks.TaskGenerator}: tasks and disjoint train / val / test splits;
 *       {@link ai.adaptserve.lab.tasks.SyntheticDocuments}: logs with facts and questions;
 *   <li>{@link ai.adaptserve.lab.tasks.PromptFormat}: in-context prompts in four phrasings;
 *   <li>{@link ai.adaptserve.lab.tasks.TaskSuite}: the {@code generate} command that writes every file.
 * </ul>
 */
package ai.adaptserve.lab.tasks;
