package ai.adaptserve.model.adapter;

/** One weight matrix of the model: a layer and a matrix in it (the head has layer {@link #HEAD_LAYER}). */
public record MatrixRef(int layer, TargetMatrix matrix) implements Comparable<MatrixRef> {
    public static final int HEAD_LAYER = -1;

    public MatrixRef {
        if ((matrix == TargetMatrix.HEAD) != (layer == HEAD_LAYER)) {
            throw new IllegalArgumentException("the head has layer -1 and only the head does: " + layer + "." + matrix);
        }
        if (layer < HEAD_LAYER) {
            throw new IllegalArgumentException("negative layer " + layer);
        }
    }

    public static MatrixRef head() {
        return new MatrixRef(HEAD_LAYER, TargetMatrix.HEAD);
    }

    /** {@code <layer>.<matrix>} as in adapter tensor names, e.g. {@code 3.gate} or {@code head}. */
    public String key() {
        return matrix == TargetMatrix.HEAD ? "head" : layer + "." + matrix.shortName();
    }

    public static MatrixRef parseKey(String key) {
        if (key.equals("head")) {
            return head();
        }
        int dot = key.indexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException("bad matrix key '" + key + "', expected <layer>.<matrix>");
        }
        int layer;
        try {
            layer = Integer.parseInt(key.substring(0, dot));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad layer in matrix key '" + key + "'");
        }
        return new MatrixRef(layer, TargetMatrix.fromShortName(key.substring(dot + 1)));
    }

    @Override
    public int compareTo(MatrixRef o) {
        int c = Integer.compare(layer, o.layer);
        return c != 0 ? c : matrix.compareTo(o.matrix);
    }
}
