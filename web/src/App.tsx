import { ConversationList } from './components/ConversationList';
import { InvitePrompt } from './components/InvitePrompt';
import { Logo } from './components/ui';
import { AdminPage } from './pages/Admin';
import { InvitePage, LoginPage, ResetPasswordPage, SetupPage } from './pages/Auth';
import { MediaGallery } from './chat/media/MediaGallery';
import { ChatView } from './pages/Chat';
import { NewConversationPage } from './pages/NewConversation';
import { SettingsPage } from './pages/Settings';
import { match, navigate, usePath } from './router';
import { useApp } from './state/app';
import { useUnreadBadge } from './state/badge';

export function App() {
  const path = usePath();
  const boot = useApp((s) => s.boot);
  const bootError = useApp((s) => s.bootError);
  const needsSetup = useApp((s) => s.needsSetup);
  const me = useApp((s) => s.me);
  useUnreadBadge();

  if (boot === 'loading')
    return (
      // A page like any other while it loads: a main landmark and a heading (the name is the one index.html gives).
      <main className="loading">
        <h1 className="sr-only">{document.title || 'Famichat'}</h1>
        <p role="status">Loading…</p>
      </main>
    );
  if (boot === 'error')
    return (
      <main className="auth">
        <div className="auth-card">
          <h1>Cannot reach the server</h1>
          <p className="error" role="alert">{bootError}</p>
          <button className="primary" onClick={() => location.reload()}>Try again</button>
        </div>
      </main>
    );
  // A reset link works whoever is logged in on this device: it logs its own person in.
  const reset = match('/reset/:token', path);
  if (reset) return <ResetPasswordPage token={reset.token ?? ''} />;
  const invite = match('/invite/:token', path);
  if (invite && !me) return <InvitePage token={invite.token ?? ''} />;
  if (needsSetup) return <SetupPage />;
  if (!me) return <LoginPage />;
  if (path === '/login' || path === '/setup') {
    queueMicrotask(() => navigate('/', { replace: true }));
    return null;
  }
  if (invite) {
    // Logged in already: an invite link is for someone new (the invite page itself moves on after joining).
    return (
      <main className="auth">
        <div className="auth-card">
          <h1>You are already logged in</h1>
          <p>
            This invite link is for someone new. You are logged in as <strong>{me.display_name}</strong>; log out in
            Settings first to use it for another person.
          </p>
          <button className="primary" onClick={() => navigate('/', { replace: true })}>Open the chat</button>
        </div>
      </main>
    );
  }
  return <Shell path={path} />;
}

function Shell({ path }: { path: string }) {
  const chat = match('/c/:id', path);
  const media = match('/c/:id/media', path);
  const status = useApp((s) => s.status);
  const everConnected = useApp((s) => s.everConnected);
  const networkUp = useApp((s) => s.networkUp);
  const appName = useApp((s) => s.branding?.app_name ?? 'Famichat');
  const detail = path !== '/';
  let main;
  if (chat) main = <ChatView key={chat.id} conversationId={chat.id ?? ''} />;
  else if (media) main = <MediaGallery key={media.id} conversationId={media.id ?? ''} />;
  else if (path === '/admin') main = <AdminPage />;
  else if (path === '/settings') main = <SettingsPage />;
  else if (path === '/new') main = <NewConversationPage />;
  else main = <div className="empty-main"><p>Choose a conversation, or start a new one.</p></div>;

  return (
    <div className="shell" data-view={detail ? 'detail' : 'list'}>
      {!networkUp ? (
        <div className="banner offline" role="status" aria-live="polite">
          <strong>Offline.</strong> Messages you send go out when you are back online.
        </div>
      ) : status !== 'open' && everConnected ? (
        <div className="banner" role="status" aria-live="polite">
          Reconnecting… Messages you send now will go out when the connection returns.
        </div>
      ) : null}
      {/* The list is the main content until a conversation or page opens beside (or, on a phone, over) it. */}
      <div className="sidebar" role={detail ? 'complementary' : 'main'} aria-label="Conversations">
        <div className="topbar">
          <a href="/" className="brand-link" onClick={(e) => { e.preventDefault(); navigate('/'); }}>
            <Logo size={28} />
            {/* The list is the page on its own (phones, and "/" on a desktop): then the app's name is its heading. */}
            {detail ? <span className="app-name">{appName}</span> : <h1 className="app-name">{appName}</h1>}
          </a>
          <nav className="top-actions" aria-label="Main">
            <a href="/admin" className="icon-button" aria-current={path === '/admin' ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate('/admin'); }}>
              Family
            </a>
            <a href="/settings" className="icon-button" aria-current={path === '/settings' ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate('/settings'); }}>
              Settings
            </a>
          </nav>
        </div>
        <InvitePrompt />
        <ConversationList activeId={chat?.id ?? media?.id} />
      </div>
      {/* On "/" the desktop's right-hand side only hints at what to do; the list is the page. */}
      <div className="main" role={detail ? 'main' : undefined} aria-hidden={detail ? undefined : true}>{main}</div>
    </div>
  );
}

