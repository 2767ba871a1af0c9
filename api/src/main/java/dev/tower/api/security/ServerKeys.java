package dev.tower.api.security;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server's certificate chain and private key, and the {@link SSLContext} a master or agent serves HTTPS with:
 * from PEM files (as {@code tower certs} writes them, or any CA's) or from a PKCS#12 keystore.
 * <p>
 * PEM keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) or SEC1 EC
 * ({@code BEGIN EC PRIVATE KEY}); encrypted keys are refused with the command that decrypts them.
 *
 * @param sslContext server side: presents {@link #chain()}, asks no client certificate
 * @param chain the server's certificate first, then the CAs that signed it, as the files gave them
 */
public record ServerKeys(SSLContext sslContext, List<X509Certificate> chain) {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    /** DER of AlgorithmIdentifier rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** DER of OID id-ecPublicKey (1.2.840.10045.2.1). */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    public ServerKeys {
        chain = List.copyOf(chain);
    }

    /** The server's own certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** One line for start-up messages: subject, issuer and expiry. */
    public String describe() {
        X509Certificate c = certificate();
        return "certificate " + c.getSubjectX500Principal().getName() + " issued by "
                + c.getIssuerX500Principal().getName() + ", valid until " + c.getNotAfter().toInstant();
    }

    /**
     * From a PEM certificate file (the server's certificate first, then any intermediate CAs) and a PEM private key.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static ServerKeys pem(Path certificateFile, Path keyFile) {
        List<X509Certificate> chain = readCertificates(certificateFile);
        PrivateKey key = readPrivateKey(keyFile);
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new IllegalArgumentException("private key file " + keyFile + ": not the key of the certificate in "
                    + certificateFile + " (" + chain.get(0).getSubjectX500Principal().getName() + ")");
        }
        return of(key, chain, "certificate file " + certificateFile);
    }

    /**
     * From a PKCS#12 keystore holding one private key with its certificate chain; the key has the store's password.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it (a wrong password included)
     */
    public static ServerKeys pkcs12(Path keystore, char[] password) {
        String what = "keystore " + keystore;
        KeyStore store;
        try (InputStream in = Files.newInputStream(keystore)) {
            store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + ": no such file", e);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IllegalArgumentException(what + ": wrong password", e);
            }
            throw new IllegalArgumentException(what + ": cannot read it as PKCS#12: " + message(e), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + ": cannot read it as PKCS#12: " + message(e), e);
        }
        try {
            PrivateKey key = null;
            Certificate[] certs = null;
            for (String alias : Collections.list(store.aliases())) {
                if (!store.isKeyEntry(alias)) {
                    continue;
                }
                if (key != null) {
                    throw new IllegalArgumentException(what + ": holds more than one private key; give it one");
                }
                key = (PrivateKey) store.getKey(alias, password);
                certs = store.getCertificateChain(alias);
            }
            if (key == null || certs == null || certs.length == 0) {
                throw new IllegalArgumentException(what + ": holds no private key with its certificate");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : certs) {
                chain.add((X509Certificate) c);
            }
            return of(key, chain, what);
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException(what + ": the private key's password is not the keystore's", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + ": " + message(e), e);
        }
    }

    private static ServerKeys of(PrivateKey key, List<X509Certificate> chain, String what) {
        X509Certificate leaf = chain.get(0);
        if (leaf.getNotAfter().before(Date.from(Instant.now()))) {
            throw new IllegalArgumentException(what + ": the certificate " + leaf.getSubjectX500Principal().getName()
                    + " expired on " + leaf.getNotAfter().toInstant());
        }
        try {
            char[] pass = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, pass, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, pass);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return new ServerKeys(ctx, chain);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(what + ": cannot serve TLS with this key and certificate: "
                    + message(e), e);
        }
    }

    /**
     * The PEM certificates in a file, in order.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it (none in it included)
     */
    public static List<X509Certificate> readCertificates(Path file) {
        String what = "certificate file " + file;
        String text = readText(file, what);
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(text)) {
                if (b.type.equals("CERTIFICATE")) {
                    chain.add((X509Certificate) factory.generateCertificate(new java.io.ByteArrayInputStream(b.der)));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + ": not a valid PEM certificate: " + message(e), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException(what + ": no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)");
        }
        return chain;
    }

    /**
     * The one PEM private key in a file (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static PrivateKey readPrivateKey(Path file) {
        String what = "private key file " + file;
        String text = readText(file, what);
        List<Block> keys = new ArrayList<>();
        for (Block b : blocks(text)) {
            if (b.type.endsWith("PRIVATE KEY")) {
                keys.add(b);
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(what + ": no PEM private key in it (expected -----BEGIN PRIVATE KEY-----)");
        }
        if (keys.size() > 1) {
            throw new IllegalArgumentException(what + ": holds " + keys.size() + " private keys; give it one");
        }
        Block k = keys.get(0);
        if (text.contains("Proc-Type: 4,ENCRYPTED") || k.type.equals("ENCRYPTED PRIVATE KEY")) {
            throw new IllegalArgumentException(what + ": the key is encrypted; give it unencrypted (e.g. "
                    + "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem) and keep the file mode 600");
        }
        byte[] pkcs8;
        List<String> algorithms;
        try {
            switch (k.type) {
                case "PRIVATE KEY" -> {
                    pkcs8 = k.der;
                    algorithms = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");
                }
                case "RSA PRIVATE KEY" -> {
                    pkcs8 = sequence(concat(new byte[]{0x02, 0x01, 0x00}, RSA_ALGORITHM, tlv(0x04, k.der)));
                    algorithms = List.of("RSA");
                }
                case "EC PRIVATE KEY" -> {
                    byte[] curve = sec1Curve(k.der);
                    pkcs8 = sequence(concat(new byte[]{0x02, 0x01, 0x00}, sequence(concat(EC_PUBLIC_KEY, curve)),
                            tlv(0x04, k.der)));
                    algorithms = List.of("EC");
                }
                default -> throw new IllegalArgumentException(what + ": keys of type '" + k.type + "' are not supported; "
                        + "convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem)");
            }
        } catch (IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(what + ": not a valid " + k.type, e);
        }
        for (String algorithm : algorithms) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(what + ": not a valid " + k.type + " (or an unsupported key algorithm)");
    }

    /** Whether the key signs what the public key verifies: the key belongs to the certificate. */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            byte[] probe = "tower".getBytes(StandardCharsets.UTF_8);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return true; // cannot tell here; the TLS handshake will
        }
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String body = m.group(2).replaceAll("\\s", "");
            try {
                out.add(new Block(m.group(1), Base64.getDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                out.add(new Block(m.group(1), new byte[0]));
            }
        }
        return out;
    }

    private static String readText(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + ": no such file", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot read it: " + message(e), e);
        }
    }

    /** The {@code [0] parameters} (the curve's OID, as DER) of a SEC1 {@code ECPrivateKey}. */
    private static byte[] sec1Curve(byte[] der) {
        // ECPrivateKey ::= SEQUENCE { version INTEGER, privateKey OCTET STRING, [0] parameters, [1] publicKey }
        int[] seq = header(der, 0);
        int pos = seq[0];
        int end = seq[0] + seq[1];
        while (pos < end) {
            int tag = der[pos] & 0xff;
            int[] h = header(der, pos);
            if (tag == 0xa0) {
                byte[] inner = java.util.Arrays.copyOfRange(der, h[0], h[0] + h[1]);
                if (inner.length == 0 || inner[0] != 0x06) {
                    break;
                }
                return inner;
            }
            pos = h[0] + h[1];
        }
        throw new IllegalArgumentException("an EC PRIVATE KEY without its curve; convert it to PKCS#8 "
                + "(openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem)");
    }

    /** {start of contents, length of contents} of the DER element at {@code pos}. */
    private static int[] header(byte[] der, int pos) {
        int len = der[pos + 1] & 0xff;
        int start = pos + 2;
        if (len >= 0x80) {
            int n = len & 0x7f;
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[start + i] & 0xff);
            }
            start += n;
        }
        if (start + len > der.length || len < 0) {
            throw new IndexOutOfBoundsException("DER element longer than its data");
        }
        return new int[]{start, len};
    }

    private static byte[] sequence(byte[] contents) {
        return tlv(0x30, contents);
    }

    private static byte[] tlv(int tag, byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int len = contents.length;
        if (len < 0x80) {
            out.write(len);
        } else {
            int bytes = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write((len >>> (8 * i)) & 0xff);
            }
        }
        out.writeBytes(contents);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
