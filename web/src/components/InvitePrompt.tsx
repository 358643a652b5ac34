// The card an admin sees while their family has nobody else in it (right after setup): invite them.
import { navigate } from '../router';
import { useApp } from '../state/app';

/** "Invite your family", linking to the invite creation on the family page; nothing once anyone joined. */
export function InvitePrompt() {
  const alone = useApp((s) => s.families.find((f) => f.role === 'admin' && f.members.length === 1));
  if (!alone) return null;
  return (
    <section className="invite-prompt" aria-labelledby="invite-prompt-title">
      <h2 id="invite-prompt-title">Invite your family</h2>
      <p>Nobody else is in {alone.name} yet. Create an invite link and send it to each person.</p>
      <a
        href="/admin#invite"
        className="button-link primary"
        onClick={(e) => {
          e.preventDefault();
          navigate('/admin#invite');
        }}
      >
        Create an invite link
      </a>
    </section>
  );
}
