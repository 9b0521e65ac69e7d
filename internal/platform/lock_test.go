package platform

import (
	"path/filepath"
	"testing"
)

// A second real-mode platform must wait for the first: tryLockFile reports
// the port lock as taken while it is held, and free once released.
func TestWebhookPortLockIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kratix-webhook-port.lock")
	unlock, ok, err := tryLockFile(path)
	if err != nil || !ok {
		t.Fatalf("first lock: ok=%v err=%v", ok, err)
	}
	if _, ok, err := tryLockFile(path); err != nil || ok {
		t.Fatalf("second lock while held: ok=%v err=%v, want not ok", ok, err)
	}
	unlock()
	again, ok, err := tryLockFile(path)
	if err != nil || !ok {
		t.Fatalf("lock after release: ok=%v err=%v", ok, err)
	}
	again()
}

func TestModeFromEnv(t *testing.T) {
	t.Setenv(EnvMode, "")
	if m, err := ModeFromEnv(ModeReal); err != nil || m != ModeReal {
		t.Errorf("unset: %q, %v; want the default", m, err)
	}
	t.Setenv(EnvMode, "emulator")
	if m, err := ModeFromEnv(ModeReal); err != nil || m != ModeEmulator {
		t.Errorf("emulator: %q, %v", m, err)
	}
	t.Setenv(EnvMode, "kind")
	if _, err := ModeFromEnv(ModeReal); err == nil {
		t.Error("an unknown mode must be an error naming the choices")
	}
}
