package dev.tower.manager.core;

/** The version the master reports. */
public final class MasterVersion {
    public static final String VERSION = "0.1.0";

    private MasterVersion() {
    }
}
