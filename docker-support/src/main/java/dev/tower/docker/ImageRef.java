package dev.tower.docker;

/**
 * An image name split as the engine's pull wants it: repository, and tag or digest. A name without either means
 * {@code latest}, as the docker CLI has it (the engine itself would pull every tag of the repository).
 */
record ImageRef(String repository, String tag) {

    static ImageRef parse(String image) {
        int at = image.indexOf('@');
        if (at >= 0) {
            return new ImageRef(image.substring(0, at), image.substring(at + 1));
        }
        int colon = image.lastIndexOf(':');
        if (colon > image.lastIndexOf('/')) {
            return new ImageRef(image.substring(0, colon), image.substring(colon + 1));
        }
        return new ImageRef(image, "latest");
    }
}
