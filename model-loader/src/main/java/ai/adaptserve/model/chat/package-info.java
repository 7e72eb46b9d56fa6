/**
 * Chat: a conversation ({@link ai.adaptserve.model.chat.ChatMessage}s) turned into the prompt text an instruct model
 * was trained on, by the checkpoint's own Jinja chat template ({@link ai.adaptserve.model.chat.ChatTemplate}), as
 * Hugging Face's {@code apply_chat_template(..., tokenize=False)} does.
 *
 * <p>Using it for a chat request:
 *
 * <pre>{@code
 * ChatTemplate template = ChatTemplate.load(model.directory())       // tokenizer_config.json / chat_template.jinja
 *         .orElseGet(ChatTemplate::builtin);                           // only for the built-in model
 * String prompt = template.render(messages, true);                    // ends where the answer starts
 * int[] ids = model.tokenizer().encode(prompt, !template.startsWithBos(prompt));
 * // stop on the model's EOS ids (config.json) and on template.stopStrings()
 * }</pre>
 *
 * <p>Failures are {@link ai.adaptserve.model.chat.ChatTemplateException}s whose {@code reason()} separates a
 * conversation the template refuses ({@code REJECTED}: a bad request) from a broken or runaway template.
 */
package ai.adaptserve.model.chat;
