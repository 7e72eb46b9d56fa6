package ai.adaptserve.model.llama;

/**
 * Rows of different lengths padded on the left to the longest, as the decoder takes them: each row's real tokens
 * end at the same index, so a decode step appends to every row at once.
 *
 * @param tokens {@code [B][maxLen]}, padding first
 * @param positions {@code [B * maxLen]} rotary position of each slot (0 for padding)
 * @param keyValid {@code [B][maxLen]} false for padding, which nothing may attend to
 * @param pads number of padding slots in front of each row
 */
record LeftPaddedBatch(int[][] tokens, int[] positions, boolean[][] keyValid, int[] pads) {

    static LeftPaddedBatch of(int[][] rows) {
        int maxLen = 0;
        for (int[] r : rows) {
            maxLen = Math.max(maxLen, r.length);
        }
        int b = rows.length;
        int[][] padded = new int[b][maxLen];
        int[] positions = new int[b * maxLen];
        boolean[][] valid = new boolean[b][maxLen];
        int[] pads = new int[b];
        for (int r = 0; r < b; r++) {
            pads[r] = maxLen - rows[r].length;
            System.arraycopy(rows[r], 0, padded[r], pads[r], rows[r].length);
            for (int j = 0; j < maxLen; j++) {
                valid[r][j] = j >= pads[r];
                positions[r * maxLen + j] = Math.max(0, j - pads[r]);
            }
        }
        return new LeftPaddedBatch(padded, positions, valid, pads);
    }
}
